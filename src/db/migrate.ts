import { fileURLToPath } from 'node:url'
import type { NodePgDatabase } from 'drizzle-orm/node-postgres'
import { migrate as migratePostgres } from 'drizzle-orm/node-postgres/migrator'
import type { PgliteDatabase } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import type { Database } from './database.js'
import { seed } from './seed.js'

// `src/db` and `dist/db` are both two levels below the package root, where `drizzle/` lives.
export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url))

/**
 * Applies the committed SQL migrations, then the idempotent seeds, under a database-wide lock so
 * several processes starting at once neither race on DDL nor double-seed. Re-running is a no-op.
 */
export const migrateAndSeed = async (database: Database): Promise<void> => {
  await database.exclusively(async (db) => {
    if (database.kind === 'pglite') {
      await migratePglite(db as unknown as PgliteDatabase, { migrationsFolder })
    } else {
      await migratePostgres(db as unknown as NodePgDatabase, { migrationsFolder })
    }
    await seed(db)
  })
}
