import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { BenchModule, BenchOutcome, BenchSize, Table } from './bench-module.js'
import { describeMachine, type Machine } from './machine.js'

/** What `bench/results/<name>-<timestamp>.json` holds. */
export interface BenchRecord extends BenchOutcome {
  bench: string
  size: BenchSize
  command: string
  startedAt: string
  finishedAt: string
  machine: Machine
}

export const formatTable = (table: Table): string => {
  const widths = table.columns.map((column, i) =>
    Math.max(column.length, ...table.rows.map((row) => (row[i] ?? '').length)),
  )
  const line = (cells: string[]) => cells.map((cell, i) => cell.padStart(widths[i]!)).join('  ')
  return [
    line(table.columns),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...table.rows.map(line),
  ].join('\n')
}

/** Runs one benchmark and writes its record; returns the record and where it was written. */
export const runAndRecord = async (
  bench: BenchModule,
  context: Parameters<BenchModule['run']>[0],
  resultsDir: string,
): Promise<{ record: BenchRecord; file: string }> => {
  const startedAt = new Date()
  const machine = describeMachine()
  const outcome = await bench.run(context)
  const finishedAt = new Date()
  const record: BenchRecord = {
    bench: bench.name,
    size: context.size,
    command: ['node', ...process.argv.slice(1).map((arg) => path.relative(process.cwd(), arg) || arg)].join(
      ' ',
    ),
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    machine,
    ...outcome,
  }
  await mkdir(resultsDir, { recursive: true })
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-')
  const file = path.join(resultsDir, `${bench.name}-${stamp}.json`)
  await writeFile(file, `${JSON.stringify(record, null, 2)}\n`)
  return { record, file }
}
