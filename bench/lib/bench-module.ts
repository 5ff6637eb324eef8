/**
 * How big a run is: `full` for the figures in docs/benchmarks.md, `quick` for a look in a few
 * seconds, `tiny` for the test suite, which only proves each benchmark still runs.
 */
export type BenchSize = 'full' | 'quick' | 'tiny'

export interface BenchContext {
  size: BenchSize
  /** Rows to import, overriding the size's default (`--rows`; only bulk-import has rows). */
  rows?: number
  /** Admin URL of a PostgreSQL server on which the benchmarks may create and drop databases. */
  postgresAdminUrl: string | undefined
  /** A line of progress for the operator (stderr in `npm run bench`). */
  progress(line: string): void
}

/** A printable table: a header row, then one row per measurement. */
export interface Table {
  columns: string[]
  rows: string[][]
}

export interface BenchOutcome {
  /** What was run with: sizes, levels, repetitions. */
  parameters: Record<string, unknown>
  /** The figures, as numbers (the JSON a later run is compared against). */
  results: Record<string, unknown>
  table: Table
  /** Anything the reader should know: a skipped part, what a ratio means. */
  notes: string[]
}

/** One benchmark. `npm run bench` runs every module in `benches.ts`, or those named by `--only`. */
export interface BenchModule {
  name: string
  summary: string
  run(context: BenchContext): Promise<BenchOutcome>
}
