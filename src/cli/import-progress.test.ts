import { describe, expect, it } from 'vitest'
import { createImportProgress } from './import-progress.js'

/** Collects what the progress display writes; `isTTY` decides bar or lines. */
const capture = (isTTY: boolean) => {
  const chunks: string[] = []
  return {
    stream: {
      isTTY,
      columns: 200,
      write: (chunk: string | Uint8Array) => {
        chunks.push(String(chunk))
        return true
      },
    },
    text: () => chunks.join(''),
  }
}

describe('the import progress display', () => {
  it('writes plain lines off a terminal, at most one per two seconds, and a last one at the end', () => {
    const out = capture(false)
    let clock = 0
    const progress = createImportProgress(out.stream, 100, () => clock)
    clock = 1_000
    progress.update({ total: 100, done: 10, failed: 0, pending: 90 })
    clock = 1_500
    progress.update({ total: 100, done: 20, failed: 0, pending: 80 })
    clock = 5_000
    progress.update({ total: 100, done: 40, failed: 2, pending: 58 })
    clock = 10_000
    progress.stop()
    expect(out.text().split('\n').filter(Boolean)).toEqual([
      'imported 10/100: 10 done, 0 failed, 90 pending, 10.0 rows/s, ETA 9 s',
      'imported 42/100: 40 done, 2 failed, 58 pending, 8.4 rows/s, ETA 7 s',
      'imported 42/100: 40 done, 2 failed, 58 pending, 4.2 rows/s, ETA 14 s',
    ])
  })

  it('says the ETA is unknown before any row has finished', () => {
    const out = capture(false)
    const progress = createImportProgress(out.stream, 5, () => 0)
    progress.stop()
    expect(out.text()).toBe('imported 0/5: 0 done, 0 failed, 5 pending, 0.0 rows/s, ETA unknown\n')
  })

  it('draws a bar with done, failed, pending, rate and ETA on a terminal', () => {
    const out = capture(true)
    let clock = 0
    const progress = createImportProgress(out.stream, 100, () => clock)
    clock = 2_000
    progress.update({ total: 100, done: 30, failed: 5, pending: 65 })
    progress.stop()
    const text = out.text()
    expect(text).toContain('35/100 | done 30 failed 5 pending 65 | 17.5 rows/s | ETA')
    // 35 of 100 rows: 14 of the bar's 40 cells filled.
    expect(text).toContain(`${'='.repeat(14)}${'-'.repeat(26)} 35/100`)
  })
})
