import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { BenchContext, BenchModule, BenchOutcome } from './lib/bench-module.js'
import { requireBuiltCli, residentKb, timeServeToReady } from './lib/flip-users-process.js'
import { withFreshDatabase } from './lib/postgres.js'
import { fmt, median } from './lib/stats.js'

const repetitions: Record<BenchContext['size'], number> = { full: 5, quick: 2, tiny: 1 }

const ADMIN_EMAIL = 'bench-admin@bench.example.org'

type Mode = 'embedded' | 'postgresql'

interface StartSample {
  ms: number
  /** The server's RSS right after its first ready answer. */
  rssKb: number | undefined
}

export interface StartSeries {
  mode: Mode
  start: 'cold' | 'warm'
  samplesMs: number[]
  medianMs: number
  minMs: number
  rssKbMedian: number | undefined
}

/** One start to ready, then a graceful stop (so the next start finds the data directory free). */
const startOnce = async (env: Record<string, string>): Promise<StartSample> => {
  const { ms, serve } = await timeServeToReady({ LOG_LEVEL: 'warn', FLIP_ADMIN_EMAIL: ADMIN_EMAIL, ...env })
  const rssKb = await residentKb(serve.pid)
  await serve.stop()
  return { ms, rssKb }
}

/** Cold: a fresh data directory (PGlite initdb, migrations, seed, admin). Warm: the same again. */
const embeddedPair = async (): Promise<[StartSample, StartSample]> => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'flip-users-bench-'))
  try {
    const cold = await startOnce({ DATA_DIR: dataDir })
    const warm = await startOnce({ DATA_DIR: dataDir })
    return [cold, warm]
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
}

/** Cold: an empty database (migrations, seed, admin, signing key). Warm: the same database again. */
const postgresPair = (adminUrl: string): Promise<[StartSample, StartSample]> =>
  withFreshDatabase(adminUrl, 'start', async (url) => {
    const cold = await startOnce({ DATABASE_URL: url })
    const warm = await startOnce({ DATABASE_URL: url })
    return [cold, warm]
  })

const series = (mode: Mode, start: 'cold' | 'warm', samples: StartSample[]): StartSeries => {
  const ms = samples.map((sample) => sample.ms)
  const rss = samples.flatMap((sample) => (sample.rssKb === undefined ? [] : [sample.rssKb]))
  return {
    mode,
    start,
    samplesMs: ms,
    medianMs: median(ms),
    minMs: Math.min(...ms),
    rssKbMedian: rss.length > 0 ? median(rss) : undefined,
  }
}

/** Spawn of `flip-users serve` to its first 200 from GET /api/ready, embedded and PostgreSQL. */
export const startupBench: BenchModule = {
  name: 'startup',
  summary:
    'cold and warm start of flip-users serve to ready (first 200 from /api/ready), embedded and PostgreSQL',
  async run(context): Promise<BenchOutcome> {
    requireBuiltCli()
    const reps = repetitions[context.size]
    const modes: [Mode, () => Promise<[StartSample, StartSample]>][] = [['embedded', embeddedPair]]
    const notes: string[] = []
    const adminUrl = context.postgresAdminUrl
    if (adminUrl) modes.push(['postgresql', () => postgresPair(adminUrl)])
    else notes.push('PostgreSQL skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL')
    const results: StartSeries[] = []
    for (const [mode, pair] of modes) {
      const cold: StartSample[] = []
      const warm: StartSample[] = []
      for (let i = 0; i < reps; i++) {
        context.progress(`startup: ${mode}, repetition ${i + 1} of ${reps}…`)
        const [c, w] = await pair()
        cold.push(c)
        warm.push(w)
      }
      results.push(series(mode, 'cold', cold), series(mode, 'warm', warm))
    }
    return {
      parameters: { repetitions: reps, modes: modes.map(([mode]) => mode) },
      results: { series: results },
      table: {
        columns: ['mode', 'start', 'runs', 'median ms', 'min ms', 'RSS MB (median)'],
        rows: results.map((s) => [
          s.mode,
          s.start,
          String(s.samplesMs.length),
          fmt(s.medianMs, 0),
          fmt(s.minMs, 0),
          fmt(s.rssKbMedian === undefined ? undefined : s.rssKbMedian / 1024),
        ]),
      },
      notes: [...notes, 'time from spawn to the first 200 from GET /api/ready, polled every 10 ms'],
    }
  },
}
