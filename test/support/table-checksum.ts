import { sql } from 'drizzle-orm'
import type { Database } from '../../src/db/database.js'
import { rowsOf } from './sql-rows.js'

const tablesOf = new WeakMap<Database, Promise<string[]>>()

const tables = (database: Database): Promise<string[]> => {
  let names = tablesOf.get(database)
  if (!names) {
    names = rowsOf<{ name: string }>(
      database,
      sql`SELECT table_name AS name FROM information_schema.tables
          WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
    ).then((rows) => rows.map((row) => row.name))
    tablesOf.set(database, names)
  }
  return names
}

/**
 * Every table the service owns, each as its row count and a digest of its rows (one query), so a
 * test can assert that a refused request wrote nothing anywhere, not only where it aimed.
 */
export const databaseChecksum = async (database: Database): Promise<Record<string, string>> => {
  const names = await tables(database)
  const rows = await rowsOf<{ name: string; rows: number | string; digest: string | null }>(
    database,
    sql.raw(
      names
        .map(
          (name) =>
            `SELECT '${name}' AS name, count(*) AS rows, md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM public."${name}" t`,
        )
        .join(' UNION ALL '),
    ),
  )
  return Object.fromEntries(rows.map((row) => [row.name, `${row.rows}:${row.digest ?? ''}`]))
}
