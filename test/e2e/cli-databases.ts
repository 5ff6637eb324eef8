import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { inject } from 'vitest'
import type { Database } from '../../src/db/database.js'
import { openPglite, pgliteDirectoryOf } from '../../src/db/open-pglite.js'
import { openTestPostgres } from '../support/test-database.js'
import { ensureBuilt } from './cli-process.js'

/** A database for the built CLI to run against, and a way for the test to look inside it. */
export interface CliDatabase {
  /** The environment that points the CLI at this database. */
  env: Record<string, string>
  /** Opens the database for the test's own queries (embedded: only while no CLI holds it). */
  open(): Promise<Database>
  /** Whether `open()` may be used while a CLI process runs against it (not so embedded). */
  readableWhileRunning: boolean
  dispose(): Promise<void>
}

export type CliDatabaseFactory = (scratchDir: string) => Promise<CliDatabase>

const embedded: CliDatabaseFactory = async (scratchDir) => {
  const dataDir = path.join(scratchDir, 'data')
  return {
    env: { DATA_DIR: dataDir },
    open: () => openPglite(pgliteDirectoryOf(dataDir)),
    readableWhileRunning: false,
    dispose: async () => {},
  }
}

const postgres: CliDatabaseFactory = async () => {
  const database = await openTestPostgres()
  return {
    env: { DATABASE_URL: database.url },
    open: async () => ({ ...database, close: async () => {} }),
    readableWhileRunning: true,
    dispose: () => database.close(),
  }
}

/** Embedded always, PostgreSQL too when the run has one: for what must hold on both. */
export const cliDatabases = (): [string, CliDatabaseFactory][] => [
  ['embedded', embedded],
  ...(inject('postgresUrl') ? [['PostgreSQL', postgres] as [string, CliDatabaseFactory]] : []),
]

/** PostgreSQL when the run has one (it starts in a fraction of PGlite's time), else embedded. */
export const quickestCliDatabase = (): [string, CliDatabaseFactory] =>
  inject('postgresUrl') ? ['PostgreSQL', postgres] : ['embedded', embedded]

/**
 * Runs `fn` with the built CLI, a scratch directory and a database made by `factory` in it;
 * disposes of both afterwards, whatever happens.
 */
export const withScratchCliDatabase = async (
  factory: CliDatabaseFactory,
  fn: (dir: string, database: CliDatabase) => Promise<void>,
): Promise<void> => {
  await ensureBuilt()
  const dir = await mkdtemp(path.join(os.tmpdir(), 'flip-users-import-'))
  const database = await factory(dir)
  try {
    await fn(dir, database)
  } finally {
    await database.dispose()
    await rm(dir, { recursive: true, force: true })
  }
}
