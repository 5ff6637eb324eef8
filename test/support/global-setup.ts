import { writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { migrateAndSeed } from '../../src/db/migrate.js'
import { wrapPglite } from '../../src/db/open-pglite.js'
import { buildIfStale } from './build-if-stale.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated, seeded PGlite data directory: loading it takes under a second, initdb takes several. */
    pgliteDumpPath: string
    /** Admin URL of a real PostgreSQL, when one is available; each test file creates its own database on it. */
    postgresUrl: string | undefined
  }
}

const postgresUrlFromEnv = (): string | undefined => process.env.TEST_DATABASE_URL || undefined

const checkPostgres = async (url: string): Promise<void> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  await client.query('SELECT 1')
  await client.end()
}

export default async function setup(project: TestProject) {
  await buildIfStale()
  const pglite = await PGlite.create()
  await migrateAndSeed(wrapPglite(pglite))
  const dump = await pglite.dumpDataDir('gzip')
  await pglite.close()
  const dumpPath = path.join(os.tmpdir(), `flip-users-test-${process.pid}.tar.gz`)
  await writeFile(dumpPath, Buffer.from(await dump.arrayBuffer()))
  project.provide('pgliteDumpPath', dumpPath)

  const postgresUrl = postgresUrlFromEnv()
  if (postgresUrl) {
    await checkPostgres(postgresUrl)
  } else if (process.env.CI) {
    throw new Error('CI must test against PostgreSQL: set TEST_DATABASE_URL (see .ci/run).')
  } else {
    process.stdout.write(
      'TEST_DATABASE_URL is not set: PostgreSQL variants are skipped; PGlite variants run.\n',
    )
  }
  project.provide('postgresUrl', postgresUrl)
}
