import type { PGlite } from '@electric-sql/pglite'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type pg from 'pg'
import type * as schema from './schema/index.js'

/** A Drizzle handle on either driver; a transaction is one too, so repositories take either. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>

/** An open database with its driver underneath, for the few places that need the driver itself. */
export type Database = {
  db: Db
  /** Runs `fn` while holding a lock that serialises it across every process on this database. */
  exclusively<T>(fn: (db: Db) => Promise<T>): Promise<T>
  /** Cheap round trip for readiness. */
  ping(): Promise<void>
  close(): Promise<void>
} & ({ kind: 'postgres'; pool: pg.Pool; url: string } | { kind: 'pglite'; pglite: PGlite })
