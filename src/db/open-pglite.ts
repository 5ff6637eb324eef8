import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/pglite'
import type { Database, Db } from './database.js'
import * as schema from './schema/index.js'

/**
 * Wraps a PGlite instance. PGlite is one connection in one process, so `exclusively` needs no
 * lock of its own: the data-directory lock already guarantees a single owner.
 */
export const wrapPglite = (pglite: PGlite, onClose: () => Promise<void> = async () => {}): Database => {
  const db = drizzle({ client: pglite, schema }) as unknown as Db
  return {
    kind: 'pglite',
    pglite,
    db,
    exclusively: (fn) => fn(db),
    async ping() {
      await db.execute(sql`SELECT 1`)
    },
    async close() {
      await pglite.close()
      await onClose()
    },
  }
}

/** Where PGlite keeps its files inside a DATA_DIR (beside the directory's lock). */
export const pgliteDirectoryOf = (dataDir: string): string => path.join(dataDir, 'pgdata')

/** Opens (creating if needed) an embedded database in `directory`; `undefined` means in memory. */
export const openPglite = async (directory: string | undefined): Promise<Database> =>
  wrapPglite(await PGlite.create(directory === undefined ? {} : { dataDir: directory }))
