import type { SQL } from 'drizzle-orm'
import type { Database } from '../../src/db/database.js'

/** Runs raw SQL for an assertion and returns its rows (both drivers answer `{ rows }`). */
export const rowsOf = async <T>(database: Database, query: SQL): Promise<T[]> =>
  ((await database.db.execute(query)) as unknown as { rows: T[] }).rows
