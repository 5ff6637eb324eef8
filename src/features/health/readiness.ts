import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { sql } from 'drizzle-orm'
import type { Deps } from '../../container.js'
import { migrationsFolder } from '../../db/migrate.js'

export interface Readiness {
  ready: boolean
  checks: { database: boolean; migrations: boolean; identityProvider: boolean }
}

const expectedMigrations = async (): Promise<number> => {
  const journal = JSON.parse(await readFile(path.join(migrationsFolder, 'meta', '_journal.json'), 'utf8'))
  return (journal.entries as unknown[]).length
}

/**
 * Whether this process can serve: the database answers, every committed migration is applied,
 * and an identity provider is configured. Never throws; a failed check is reported as false.
 */
export const checkReadiness = async (deps: Pick<Deps, 'db' | 'idp' | 'log'>): Promise<Readiness> => {
  let database = false
  let migrations = false
  try {
    const result = (await deps.db.execute(
      sql`SELECT count(*)::int AS applied FROM drizzle.__drizzle_migrations`,
    )) as unknown as { rows: { applied: number }[] }
    database = true
    const applied = Number(result.rows[0]?.applied ?? 0)
    migrations = applied >= (await expectedMigrations())
  } catch (error) {
    deps.log.warn({ err: error }, 'readiness check failed')
  }
  const identityProvider = deps.idp !== undefined
  return {
    ready: database && migrations && identityProvider,
    checks: { database, migrations, identityProvider },
  }
}
