import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { sql } from 'drizzle-orm'
import type { Deps } from '../../container.js'
import { migrationsFolder } from '../../db/migrate.js'
import { isIdentityError } from '../../identity/identity-errors.js'

export interface Readiness {
  ready: boolean
  checks: { database: boolean; migrations: boolean; identityProvider: boolean }
}

const expectedMigrations = async (): Promise<number> => {
  const journal = JSON.parse(await readFile(path.join(migrationsFolder, 'meta', '_journal.json'), 'utf8'))
  return (journal.entries as unknown[]).length
}

/** How long an identity-provider probe's answer is reused: readiness is polled often, quotas are shared. */
export const IDP_PROBE_CACHE_MS = 5_000

/**
 * A cheap identity-provider probe (one user listed: Cognito ListUsers with a limit of 1, a row
 * for `local`), its answer cached for a few seconds and shared by concurrent checks, so a load
 * balancer polling readiness costs the list quota at most one call per 5 s per process. A
 * throttled answer still proves the provider is there; anything else failing means not ready.
 */
export const createIdentityProviderProbe = (
  deps: Pick<Deps, 'idp' | 'clock' | 'log'>,
  cacheMs = IDP_PROBE_CACHE_MS,
): (() => Promise<boolean>) => {
  let cached: { at: number; answer: Promise<boolean> } | undefined
  return () => {
    const now = deps.clock.now().getTime()
    if (cached && now - cached.at < cacheMs) return cached.answer
    const answer = deps.idp.listUsers({ limit: 1 }).then(
      () => true,
      (error: unknown) => {
        if (isIdentityError(error, 'Throttled')) return true
        deps.log.warn({ err: error }, 'readiness: the identity provider did not answer')
        return false
      },
    )
    cached = { at: now, answer }
    return answer
  }
}

/**
 * Whether this process can serve: the database answers, every committed migration is applied,
 * and the identity provider answers (`probeIdentityProvider`, cached). Never throws; a failed
 * check is reported as false.
 */
export const checkReadiness = async (
  deps: Pick<Deps, 'db' | 'idp' | 'log'>,
  probeIdentityProvider: () => Promise<boolean> = async () => deps.idp !== undefined,
): Promise<Readiness> => {
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
  const identityProvider = await probeIdentityProvider()
  return {
    ready: database && migrations && identityProvider,
    checks: { database, migrations, identityProvider },
  }
}
