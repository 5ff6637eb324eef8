import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'

/** The tables one registration writes to. */
const WRITTEN_TABLES = [
  'registration',
  'registration_event',
  'local_identity',
  'user_profile',
  'users_audit',
  'user_role',
] as const

export type RowCounts = Record<(typeof WRITTEN_TABLES)[number], number>

/** Exact row counts of the tables a registration writes (not the statistics, which lag). */
export const countRows = async (databaseUrl: string): Promise<RowCounts> => {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query(
      `SELECT ${WRITTEN_TABLES.map((table) => `(SELECT count(*)::int FROM ${table}) AS ${table}`).join(', ')}`,
    )
    return rows[0] as RowCounts
  } finally {
    await client.end()
  }
}

/**
 * Counts once the writes have stopped: a timed run ends with requests still in flight, and the
 * service finishes them after the load generator has hung up.
 */
export const countRowsWhenSettled = async (databaseUrl: string, timeoutMs = 10_000): Promise<RowCounts> => {
  const deadline = Date.now() + timeoutMs
  let previous = await countRows(databaseUrl)
  for (;;) {
    await sleep(250)
    const current = await countRows(databaseUrl)
    if (JSON.stringify(current) === JSON.stringify(previous) || Date.now() > deadline) return current
    previous = current
  }
}

/**
 * Rows written per registration between two counts, per `registration` row (requests still in
 * flight when a timed run ends are written but not counted as answered). This is how the bench
 * checks that the floor writes what the service writes: a saga that starts writing more shows
 * up as a stale floor.
 */
export const rowsPerRegistration = (before: RowCounts, after: RowCounts): RowCounts => {
  const registrations = after.registration - before.registration
  return Object.fromEntries(
    WRITTEN_TABLES.map((table) => [
      table,
      registrations === 0 ? 0 : Math.round((100 * (after[table] - before[table])) / registrations) / 100,
    ]),
  ) as RowCounts
}
