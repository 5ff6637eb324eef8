import { execFile } from 'node:child_process'
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import type { Database } from '../../src/db/database.js'
import { migrateAndSeed, migrationsFolder } from '../../src/db/migrate.js'
import { wrapPglite } from '../../src/db/open-pglite.js'
import { permissions } from '../../src/domain/permissions.js'
import { seededRoles } from '../../src/domain/roles.js'
import { rowsOf } from '../support/sql-rows.js'
import { databaseTargets, openTestPostgres } from '../support/test-database.js'

const rows = rowsOf

const snapshot = async (database: Database) => ({
  migrations: await rows(database, sql`SELECT hash FROM drizzle.__drizzle_migrations ORDER BY id`),
  roles: await rows(database, sql`SELECT id, name, description, updated_at FROM roles ORDER BY id`),
  permissions: await rows(database, sql`SELECT id, permission_name FROM permission ORDER BY id`),
  grants: await rows(
    database,
    sql`SELECT role_id, permission_id FROM role_permission ORDER BY role_id, permission_id`,
  ),
})

// Fresh databases, not the migrated dump the other tests load: this is the path a new deployment takes.
const freshDatabase = {
  pglite: async () => wrapPglite(await PGlite.create()),
  postgres: () => openTestPostgres(),
}

describe.each(databaseTargets())('migrations and seeds on a fresh $kind', (target) => {
  it.skipIf(!target.available)('apply, re-apply as a no-op, and seed exactly FLIP’s ids', async () => {
    const database = await freshDatabase[target.kind]()
    try {
      await migrateAndSeed(database)
      const first = await snapshot(database)
      await migrateAndSeed(database)
      expect(await snapshot(database)).toEqual(first)

      expect(first.roles.map((role) => (role as { id: string }).id).sort()).toEqual(
        seededRoles.map((role) => role.id).sort(),
      )
      expect(first.permissions).toEqual(
        Object.entries(permissions)
          .map(([name, id]) => ({ id, permission_name: name }))
          .sort((a, b) => a.id.localeCompare(b.id)),
      )
      const expectedGrants = seededRoles.flatMap((role) =>
        role.permissions.map((name) => ({ role_id: role.id, permission_id: permissions[name] })),
      )
      expect(first.grants).toHaveLength(expectedGrants.length)
      expect(first.grants).toEqual(expect.arrayContaining(expectedGrants))
      const indexes = await rows<{ indexname: string; indexdef: string }>(
        database,
        sql`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'user_role' ORDER BY indexname`,
      )
      expect(indexes.find((index) => index.indexname === 'uq_user_role_global')?.indexdef).toMatch(
        /UNIQUE .*\(user_id, role_id\) WHERE \(trust_id IS NULL\)/,
      )
      expect(indexes.find((index) => index.indexname === 'uq_user_role_per_trust')?.indexdef).toMatch(
        /UNIQUE .*\(user_id, role_id, trust_id\) WHERE \(trust_id IS NOT NULL\)/,
      )
    } finally {
      await database.close()
    }
  })
})

describe('committed migrations', () => {
  it('match the Drizzle schema: generating again produces no new migration', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'flip-users-drift-'))
    try {
      await cp(migrationsFolder, out, { recursive: true })
      const before = await readdir(out)
      await promisify(execFile)(
        path.resolve('node_modules/.bin/drizzle-kit'),
        ['generate', '--dialect', 'postgresql', '--schema', 'src/db/schema/index.ts', '--out', out],
        { cwd: path.resolve(import.meta.dirname, '../..') },
      )
      expect(await readdir(out)).toEqual(before)
    } finally {
      await rm(out, { recursive: true, force: true })
    }
  })
})
