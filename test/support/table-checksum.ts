import { sql } from 'drizzle-orm'
import type { Database } from '../../src/db/database.js'
import { rowsOf } from './sql-rows.js'

/**
 * Every table the service owns, each as its row count and a digest of its rows, so a test can
 * assert that a refused request wrote nothing anywhere (not only in the table it aimed at).
 */
export const databaseChecksum = async (database: Database): Promise<Record<string, string>> => {
  const tables = await rowsOf<{ name: string }>(
    database,
    sql`SELECT table_name AS name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  )
  const checksum: Record<string, string> = {}
  for (const { name } of tables) {
    const [row] = await rowsOf<{ rows: number | string; digest: string | null }>(
      database,
      sql.raw(
        `SELECT count(*) AS rows, md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM public."${name}" t`,
      ),
    )
    checksum[name] = `${row!.rows}:${row!.digest ?? ''}`
  }
  return checksum
}
