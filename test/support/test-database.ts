import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import pg from 'pg'
import { afterAll, beforeAll, beforeEach, inject } from 'vitest'
import type { Database } from '../../src/db/database.js'
import { migrateAndSeed } from '../../src/db/migrate.js'
import { wrapPglite } from '../../src/db/open-pglite.js'
import { openPostgres } from '../../src/db/open-postgres.js'

export type DatabaseKind = 'pglite' | 'postgres'

export interface DatabaseTarget {
  kind: DatabaseKind
  /** False when no PostgreSQL was given (a laptop without TEST_DATABASE_URL). */
  available: boolean
  /** A fresh, migrated and seeded database, private to the caller. */
  open(): Promise<Database>
}

/** Opens PGlite from the migrated dump made by the global setup. */
export const openTestPglite = async (): Promise<Database> => {
  const dump = await readFile(inject('pgliteDumpPath'))
  const pglite = await PGlite.create({ loadDataDir: new Blob([dump]) })
  return wrapPglite(pglite)
}

const withAdminClient = async (adminUrl: string, statement: string): Promise<void> => {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

/**
 * Creates a database of its own on the test server, so test files running in parallel never
 * see each other's rows; it is dropped on close.
 */
export const openTestPostgres = async (
  options: { max?: number } = {},
): Promise<Database & { url: string }> => {
  const adminUrl = inject('postgresUrl')
  if (!adminUrl) throw new Error('no PostgreSQL available for tests (TEST_DATABASE_URL)')
  const name = `flip_users_test_${randomBytes(6).toString('hex')}`
  await withAdminClient(adminUrl, `CREATE DATABASE ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const database = openPostgres(url.href, options)
  await migrateAndSeed(database)
  return {
    ...database,
    url: url.href,
    async close() {
      await database.close()
      await withAdminClient(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    },
  }
}

/** PGlite always; PostgreSQL when the run has one. Use with `describe.each` / `describe.skipIf`. */
export const databaseTargets = (): DatabaseTarget[] => [
  { kind: 'pglite', available: true, open: openTestPglite },
  { kind: 'postgres', available: inject('postgresUrl') !== undefined, open: () => openTestPostgres() },
]

// Everything a test can write; the seeded reference data and signing keys stay.
const MUTABLE_TABLES = [
  'registration_event',
  'registration',
  'user_role',
  'user_profile',
  'users_audit',
  'local_identity',
  'account_status',
  'trust',
  'access_request',
]

export const truncateMutableTables = async (database: Database): Promise<void> => {
  await database.db.execute(sql.raw(`TRUNCATE ${MUTABLE_TABLES.join(', ')} CASCADE`))
}

/**
 * One database per describe block, emptied of test data before each test. Returns a getter,
 * since the database exists only once `beforeAll` has run.
 */
export const useTestDatabase = (target: DatabaseTarget): (() => Database) => {
  let database: Database | undefined
  beforeAll(async () => {
    database = await target.open()
  })
  afterAll(async () => {
    await database?.close()
  })
  beforeEach(async () => {
    await truncateMutableTables(database!)
  })
  return () => {
    if (!database) throw new Error('the test database is not open yet')
    return database
  }
}
