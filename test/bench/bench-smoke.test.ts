import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { benches } from '../../bench/benches.js'
import { type BulkImportResults, bulkImportBench } from '../../bench/bulk-import.bench.js'
import { embeddedBench, type ModeRun } from '../../bench/embedded.bench.js'
import type { BenchContext, BenchModule } from '../../bench/lib/bench-module.js'
import { type BenchRecord, runAndRecord } from '../../bench/lib/report.js'
import { registrationBench } from '../../bench/registration.bench.js'
import { startupBench } from '../../bench/startup.bench.js'
import { ensureBuilt } from '../e2e/cli-process.js'

// Proves each benchmark still runs, at the smallest sizes. Figures are never asserted: speed is
// measured by `npm run bench` and written down in docs/benchmarks.md, not judged by the suite.

const postgresUrl = inject('postgresUrl')
let resultsDir = ''

beforeAll(async () => {
  await ensureBuilt()
  resultsDir = await mkdtemp(path.join(os.tmpdir(), 'flip-users-bench-results-'))
}, 120_000)

afterAll(async () => {
  if (resultsDir) await rm(resultsDir, { recursive: true, force: true })
})

const context: BenchContext = { size: 'tiny', postgresAdminUrl: postgresUrl, progress: () => {} }

/** Runs the bench as `npm run bench` does and reads back the JSON it wrote. */
const runTiny = async (bench: BenchModule): Promise<BenchRecord> => {
  const { file } = await runAndRecord(bench, context, resultsDir)
  expect(path.basename(file)).toMatch(new RegExp(`^${bench.name}-\\d{4}-\\d\\d-\\d\\dT[\\d-]+Z\\.json$`))
  const record = JSON.parse(await readFile(file, 'utf8')) as BenchRecord
  expect(record).toMatchObject({
    bench: bench.name,
    size: 'tiny',
    machine: {
      cpuModel: expect.any(String),
      cpuCount: expect.any(Number),
      totalMemoryBytes: expect.any(Number),
      node: process.version,
    },
  })
  expect(record.machine.cpuCount).toBeGreaterThan(0)
  expect(record.table.rows.length).toBeGreaterThan(0)
  for (const row of record.table.rows) expect(row).toHaveLength(record.table.columns.length)
  return record
}

describe('the benchmark suite', () => {
  it('lists every benchmark once, by a unique name', () => {
    const names = benches.map((bench) => bench.name)
    expect(new Set(names).size).toBe(names.length)
    expect(names).toEqual(expect.arrayContaining(['registration', 'bulk-import', 'startup', 'embedded']))
  })

  it('starts embedded serve on a new and an existing data directory and registers through it, PostgreSQL beside it when there is one', async () => {
    const record = await runTiny(embeddedBench)
    const modes = (record.results as { modes: ModeRun[] }).modes
    expect(modes.map((m) => m.mode)).toEqual(
      postgresUrl === undefined ? ['embedded'] : ['embedded', 'postgresql'],
    )
    for (const m of modes) {
      expect(m.newStartMs).toBeGreaterThan(0)
      expect(m.existingStartMs).toBeGreaterThan(0)
      expect(m.runs.map((run) => [run.connections, run.registrations, run.non2xx])).toEqual([[1, 10, 0]])
    }
  }, 120_000)

  it('times cold and warm starts to ready, embedded always and PostgreSQL when there is one', async () => {
    const record = await runTiny(startupBench)
    const series = (record.results as { series: { mode: string; start: string; samplesMs: number[] }[] })
      .series
    const expected = postgresUrl === undefined ? ['embedded'] : ['embedded', 'postgresql']
    expect(series.map((s) => `${s.mode} ${s.start}`)).toEqual(
      expected.flatMap((mode) => [`${mode} cold`, `${mode} warm`]),
    )
    for (const s of series) {
      expect(s.samplesMs).toHaveLength(1)
      expect(s.samplesMs[0]).toBeGreaterThan(0)
    }
  }, 90_000)

  it('imports a file against throttled cognito-local and accounts for every row', async () => {
    const record = await runTiny(bulkImportBench)
    const results = record.results as BulkImportResults
    expect(results).toMatchObject({
      rows: 20,
      database: postgresUrl === undefined ? 'embedded' : 'postgresql',
      exitCode: 0,
      rowsCompleted: 20,
      rowsLost: 0,
      orphanUsers: 0,
    })
    // At least one creation per row: an ambiguous timeout on a loaded machine may add a retry.
    expect(results.createsForwarded).toBeGreaterThanOrEqual(20)
    expect(results.wallSeconds).toBeGreaterThan(0)
    expect(results.idealSeconds).toBe(20 / 50)
  }, 120_000)

  it.skipIf(postgresUrl === undefined)(
    'drives registrations over HTTP and through SQL alone, and relates the two',
    async () => {
      const record = await runTiny(registrationBench)
      const { levels, rowsPerRegistration } = record.results as {
        rowsPerRegistration: { service: Record<string, number>; floor: Record<string, number> }
        levels: {
          connections: number
          service: { registrations: number; non2xx: number; latencyMs: { p50: number } }
          floor: { registrations: number; errors: number }
          ratio: number
        }[]
      }
      expect(levels.map((level) => level.connections)).toEqual([1])
      // Not a timing: the floor must write what a registration writes, or its figure means nothing.
      // When the saga changes, bench/registration-floor.ts must follow.
      expect(rowsPerRegistration.floor).toEqual(rowsPerRegistration.service)
      expect(rowsPerRegistration.service.registration_event).toBeGreaterThan(0)
      for (const level of levels) {
        expect(level.service.registrations).toBeGreaterThan(0)
        expect(level.service.non2xx).toBe(0)
        expect(level.service.latencyMs.p50).toBeGreaterThan(0)
        expect(level.floor.registrations).toBeGreaterThan(0)
        expect(level.floor.errors).toBe(0)
        expect(level.ratio).toBeGreaterThan(0)
      }
    },
    60_000,
  )
})
