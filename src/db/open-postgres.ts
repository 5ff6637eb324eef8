import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import type { Database, Db } from './database.js'
import * as schema from './schema/index.js'

// Any constant works; it only has to be the same in every flip-users process.
const MIGRATION_LOCK_KEY = 7_204_113_901

/** Opens a pool on PostgreSQL. Connections are made lazily, so a bad host fails on first use. */
export const openPostgres = (url: string, options: { max?: number } = {}): Database => {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 })
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  const db = drizzle({ client: pool, schema }) as unknown as Db
  return {
    kind: 'postgres',
    pool,
    url,
    db,
    async exclusively(fn) {
      const client = await pool.connect()
      try {
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
        try {
          return await fn(drizzle({ client, schema }) as unknown as Db)
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
        }
      } finally {
        client.release()
      }
    },
    async ping() {
      await db.execute(sql`SELECT 1`)
    },
    async close() {
      await pool.end()
    },
  }
}
