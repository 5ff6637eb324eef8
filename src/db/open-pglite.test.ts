import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'drizzle-orm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openPglite, pgliteTemplateDirectory } from './open-pglite.js'

// PGlite's answer to `execute` carries its rows (the shared `Db` type leaves the result unknown).
const rowsOf = async (database: Awaited<ReturnType<typeof openPglite>>, query: string) =>
  ((await database.db.execute(sql.raw(query))) as unknown as { rows: Record<string, unknown>[] }).rows

// The template is made by `npm run build`, which the test run's global setup runs when dist/ is stale.
describe.skipIf(!existsSync(pgliteTemplateDirectory))(
  'opening an embedded database on a data directory',
  () => {
    let parent: string
    beforeEach(async () => {
      parent = await mkdtemp(path.join(os.tmpdir(), 'flip-users-open-pglite-'))
    })
    afterEach(async () => {
      await rm(parent, { recursive: true, force: true })
    })

    it('starts a new directory from the build-time template: already migrated, seeded and with the job queue schema', async () => {
      const database = await openPglite(path.join(parent, 'pgdata'))
      try {
        const [migrations] = await rowsOf(
          database,
          'SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations',
        )
        expect(migrations!.n).toBeGreaterThan(0)
        const [roles] = await rowsOf(database, 'SELECT count(*)::int AS n FROM roles')
        expect(roles!.n).toBeGreaterThan(0)
        const [boss] = await rowsOf(database, `SELECT to_regclass('pgboss.job') IS NOT NULL AS present`)
        expect(boss!.present).toBe(true)
      } finally {
        await database.close()
      }
      expect(existsSync(path.join(parent, 'pgdata.partial'))).toBe(false)
    })

    it('keeps what an existing directory holds when it is opened again (the template is copied only once)', async () => {
      const directory = path.join(parent, 'pgdata')
      const first = await openPglite(directory)
      await first.db.execute(sql`CREATE TABLE kept (note text)`)
      await first.db.execute(sql`INSERT INTO kept VALUES ('written before the restart')`)
      await first.close()
      const second = await openPglite(directory)
      try {
        expect(await rowsOf(second, 'SELECT note FROM kept')).toEqual([
          { note: 'written before the restart' },
        ])
      } finally {
        await second.close()
      }
    })

    it('replaces a copy that a crash left half made beside the directory', async () => {
      const directory = path.join(parent, 'pgdata')
      const { mkdir, writeFile } = await import('node:fs/promises')
      await mkdir(`${directory}.partial/base`, { recursive: true })
      await writeFile(`${directory}.partial/base/half-a-file`, 'x')
      const database = await openPglite(directory)
      try {
        const [roles] = await rowsOf(database, 'SELECT count(*)::int AS n FROM roles')
        expect(roles!.n).toBeGreaterThan(0)
      } finally {
        await database.close()
      }
      expect(existsSync(`${directory}.partial`)).toBe(false)
      expect(existsSync(path.join(directory, 'base', 'half-a-file'))).toBe(false)
    })

    it('runs PostgreSQL with a small buffer pool, since the WASM heap never gives pages back', async () => {
      const database = await openPglite(path.join(parent, 'pgdata'))
      try {
        const [setting] = await rowsOf(database, `SELECT current_setting('shared_buffers') AS value`)
        expect(setting!.value).toBe('16MB')
      } finally {
        await database.close()
      }
    })
  },
)
