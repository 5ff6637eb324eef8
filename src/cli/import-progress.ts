import { SingleBar } from 'cli-progress'
import type { ImportCounts } from '../features/bulk-import/import-file.js'

export interface ImportProgress {
  update(counts: ImportCounts): void
  stop(): void
}

/**
 * A progress bar (rows done / failed / pending, rate, ETA) on a terminal; plain periodic lines
 * otherwise, so CI logs and redirected output stay readable.
 */
export const createImportProgress = (
  stream: Pick<NodeJS.WriteStream, 'write' | 'isTTY'>,
  total: number,
  now: () => number = Date.now,
): ImportProgress => {
  const started = now()
  const rate = (counts: ImportCounts) =>
    (counts.done + counts.failed) / Math.max((now() - started) / 1000, 0.001)
  if (stream.isTTY) {
    const bar = new SingleBar({
      stream: stream as NodeJS.WriteStream,
      format:
        '{bar} {value}/{total} | done {done} failed {failed} pending {pending} | {rate} rows/s | ETA {eta_formatted}',
      hideCursor: true,
    })
    bar.start(total, 0, { done: 0, failed: 0, pending: total, rate: '0.0' })
    return {
      update: (counts) =>
        bar.update(counts.done + counts.failed, { ...counts, rate: rate(counts).toFixed(1) }),
      stop: () => bar.stop(),
    }
  }
  let last = Number.NEGATIVE_INFINITY
  const line = (counts: ImportCounts) => {
    const perSecond = rate(counts)
    const left = counts.total - counts.done - counts.failed
    const eta = perSecond > 0 ? `${Math.ceil(left / perSecond)} s` : 'unknown'
    stream.write(
      `imported ${counts.done + counts.failed}/${counts.total}: ${counts.done} done, ${counts.failed} failed, ` +
        `${counts.pending} pending, ${perSecond.toFixed(1)} rows/s, ETA ${eta}\n`,
    )
  }
  let latest: ImportCounts = { total, done: 0, failed: 0, pending: total }
  return {
    update(counts) {
      latest = counts
      if (now() - last >= 2_000) {
        last = now()
        line(counts)
      }
    },
    stop: () => line(latest),
  }
}
