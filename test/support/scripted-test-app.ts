import { afterAll, beforeAll, beforeEach } from 'vitest'
import type { Database } from '../../src/db/database.js'
import { RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import type { IdentityUser } from '../../src/identity/identity-provider.js'
import { clearDatabaseFaults, installDatabaseFaults } from './database-faults.js'
import { bearer, createAdmin, tokenFor } from './factories.js'
import { type ScriptedIdentityProvider, scriptIdentityProvider } from './scripted-identity-provider.js'
import { createTestApp, type TestApp } from './test-app.js'

export interface ScriptedApp {
  /** The real app on the test database, its identity provider behind a fault script. */
  readonly t: TestApp
  readonly idp: ScriptedIdentityProvider
  /** A fresh admin per test, and the Authorization header that carries its token. */
  readonly admin: IdentityUser
  readonly headers: Record<string, string>
}

/**
 * The usual HTTP test set-up: one app per describe block (with database fault triggers when
 * asked), and before each test a healed fault script, a fresh admin, and call counts at zero.
 */
export const useScriptedTestApp = (
  database: () => Database,
  options: Omit<Parameters<typeof createTestApp>[1] & object, 'wrapIdentityProvider'> & {
    faults?: boolean
  } = {},
): ScriptedApp => {
  let t: TestApp | undefined
  let idp: ScriptedIdentityProvider | undefined
  let admin: IdentityUser | undefined
  let headers: Record<string, string> = {}
  const { faults, ...appOptions } = options

  beforeAll(async () => {
    if (faults) await installDatabaseFaults(database())
    t = await createTestApp(database(), {
      ...appOptions,
      wrapIdentityProvider: (inner) => {
        idp = scriptIdentityProvider(inner)
        return idp
      },
    })
  })
  afterAll(async () => {
    await t?.close()
  })
  beforeEach(async () => {
    idp!.heal()
    if (faults) await clearDatabaseFaults(database())
    admin = await createAdmin(t!.deps)
    headers = bearer(await tokenFor(t!.deps, admin))
    idp!.resetCalls()
  })

  const ready = <T>(value: T | undefined, name: string): T => {
    if (value === undefined) throw new Error(`the scripted test app's ${name} is not ready yet`)
    return value
  }
  return {
    get t() {
      return ready(t, 'app')
    },
    get idp() {
      return ready(idp, 'identity provider')
    },
    get admin() {
      return ready(admin, 'admin')
    },
    get headers() {
      return headers
    },
  }
}

/**
 * `POST /api/step/users` as the scripted app's admin, with the Researcher role: the answer's
 * status and the registration id it names (in the body of a success, or in a problem).
 */
export const registerAsAdmin = async (
  s: ScriptedApp,
  email: string,
  profile: { name: string; organisation: string } = { name: 'Test User', organisation: 'Example Org' },
): Promise<{ status: number; id: string }> => {
  const response = await s.t.app.inject({
    method: 'POST',
    url: '/api/step/users',
    headers: s.headers,
    payload: { email, ...profile, roles: [RESEARCHER_ROLE_ID] },
  })
  const body = response.json()
  return { status: response.statusCode, id: (body.registration_id ?? body.registrationId) as string }
}
