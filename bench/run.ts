import path from 'node:path'
import { parseArgs } from 'node:util'
import { benches } from './benches.js'
import type { BenchSize } from './lib/bench-module.js'
import { repoRoot } from './lib/flip-users-process.js'
import { postgresAdminUrlFromEnv } from './lib/postgres.js'
import { formatTable, runAndRecord } from './lib/report.js'

const usage = `usage: npm run bench [-- [--only NAME[,NAME]] [--quick] [--rows N]]

benchmarks:
${benches.map((bench) => `  ${bench.name.padEnd(14)} ${bench.summary}`).join('\n')}

--quick    small sizes, for a look in seconds rather than minutes
--rows N   rows for bulk-import (default 10000, or 500 with --quick)

PostgreSQL: BENCH_DATABASE_URL (else TEST_DATABASE_URL), an admin URL on which fresh databases are
created and dropped. Results: bench/results/<name>-<timestamp>.json
`

const main = async (): Promise<number> => {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      rows: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(usage)
    return 0
  }
  const only = (values.only ?? []).flatMap((names) => names.split(',')).filter(Boolean)
  const unknown = only.filter((name) => !benches.some((bench) => bench.name === name))
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}\n\n${usage}`)
    return 2
  }
  const rows = values.rows === undefined ? undefined : Number(values.rows)
  if (rows !== undefined && !(Number.isInteger(rows) && rows > 0)) {
    process.stderr.write(`--rows must be a positive whole number, got ${values.rows}\n\n${usage}`)
    return 2
  }
  const selected = only.length > 0 ? benches.filter((bench) => only.includes(bench.name)) : benches
  const size: BenchSize = values.quick ? 'quick' : 'full'
  const context = {
    size,
    ...(rows === undefined ? {} : { rows }),
    postgresAdminUrl: postgresAdminUrlFromEnv(),
    progress: (line: string) => process.stderr.write(`${line}\n`),
  }
  const resultsDir = path.join(repoRoot, 'bench/results')
  let failed = 0
  for (const bench of selected) {
    process.stdout.write(`\n== ${bench.name}: ${bench.summary}${size === 'quick' ? ' (quick)' : ''}\n`)
    try {
      const { record, file } = await runAndRecord(bench, context, resultsDir)
      process.stdout.write(`${formatTable(record.table)}\n`)
      for (const note of record.notes) process.stdout.write(`  · ${note}\n`)
      const { machine } = record
      process.stdout.write(
        `  machine: ${machine.cpuCount} × ${machine.cpuModel}, ${(machine.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB, Node ${machine.node}, load ${machine.loadAverage.join(' ')} at start\n`,
      )
      process.stdout.write(`  written to ${path.relative(process.cwd(), file)}\n`)
    } catch (error) {
      // One benchmark failing (no PostgreSQL, a port taken) does not cost the others' figures.
      failed++
      process.stderr.write(
        `  ${bench.name} failed: ${error instanceof Error ? error.message : String(error)}\n`,
      )
    }
  }
  return failed === 0 ? 0 : 1
}

process.exitCode = await main()
