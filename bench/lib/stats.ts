/** The value below which `fraction` of the samples fall (nearest rank). */
export const percentile = (sorted: readonly number[], fraction: number): number => {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil(fraction * sorted.length) - 1
  return sorted[Math.min(Math.max(rank, 0), sorted.length - 1)]!
}

export const median = (values: readonly number[]): number => percentile([...values].sort(byNumber), 0.5)

export const byNumber = (a: number, b: number): number => a - b

export interface LatencySummary {
  count: number
  p50: number
  p95: number
  p99: number
  max: number
}

/** p50/p95/p99 of latencies in milliseconds (autocannon's own histogram has no p95). */
export const summariseLatencies = (latenciesMs: readonly number[]): LatencySummary => {
  const sorted = [...latenciesMs].sort(byNumber)
  return {
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
  }
}

/** A number for a table cell: integers as they are, others to `digits` decimals. */
export const fmt = (value: number | null | undefined, digits = 1): string => {
  if (value === null || value === undefined || Number.isNaN(value)) return '–'
  return Number.isInteger(value) ? String(value) : value.toFixed(digits)
}
