import { randomUUID } from 'node:crypto'
import { CreateUserPoolClientCommand } from '@aws-sdk/client-cognito-identity-provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/config.js'
import { createContainer, type Deps } from '../../src/container.js'
import { ADMIN_ROLE_ID, VIEWER_ROLE_ID } from '../../src/domain/roles.js'
import { buildApp } from '../../src/http/build-app.js'
import { describeAppClientOrigins } from '../../src/identity/cognito/cognito-app-client.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import { createUserRolesRepository } from '../../src/repositories/user-roles-repository.js'
import { EMULATOR_REGION, useCognitoLocal } from '../support/cognito-local.js'
import { bearer } from '../support/factories.js'
import { createTestApp, silentLog, type TestApp, testConfig } from '../support/test-app.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

/** The callback and logout URLs of FLIP's UI app client, as an operator might have entered them. */
const CALLBACK_URLS = [
  'https://flip-ui.example.org:443/auth/callback',
  'http://localhost:3000/callback',
  'myapp://callback',
]
const LOGOUT_URLS = ['https://flip-ui.example.org/logout', 'https://admin.example.org:8443/bye']
const DERIVED = ['https://flip-ui.example.org', 'http://localhost:3000', 'https://admin.example.org:8443']

/** Python's `str` order, written independently of the service's comparator: code point by code point. */
const byCodePoints = (a: string, b: string): number => {
  const x = Array.from(a, (c) => c.codePointAt(0)!)
  const y = Array.from(b, (c) => c.codePointAt(0)!)
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!
  return x.length - y.length
}

const emulator = useCognitoLocal()

const cognitoEnv = (appClientId: string, extra: Record<string, string> = {}) => {
  const { pool, endpoint } = emulator()
  return {
    AUTH_BACKEND: 'cognito',
    AWS_REGION: EMULATOR_REGION,
    AWS_COGNITO_USER_POOL_ID: pool.userPoolId,
    AWS_COGNITO_APP_CLIENT_ID: appClientId,
    COGNITO_ENDPOINT: endpoint,
    COGNITO_ISSUER: pool.issuer,
    ...extra,
  }
}

describe.each(databaseTargets())('the HTTP edge with AUTH_BACKEND=cognito on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    let uiClientId: string

    beforeAll(async () => {
      const created = await emulator().admin.send(
        new CreateUserPoolClientCommand({
          UserPoolId: emulator().pool.userPoolId,
          ClientName: 'flip-ui',
          CallbackURLs: CALLBACK_URLS,
          LogoutURLs: LOGOUT_URLS,
        }),
      )
      uiClientId = created.UserPoolClient!.ClientId!
    })

    it("derives the origins from the app client's callback and logout URLs: normalised, each once, in order", async () => {
      expect(await describeAppClientOrigins(emulator().config())).toEqual([])
      const config = { ...emulator().config(), appClientId: uiClientId }
      expect(await describeAppClientOrigins(config)).toEqual(DERIVED)
    })

    describe('with CORS_ALLOWED_ORIGINS unset', () => {
      let t: TestApp
      beforeAll(async () => {
        t = await createTestApp(database(), { env: cognitoEnv(uiClientId) })
      })
      afterAll(async () => {
        await t?.close()
      })

      it('answers preflights from every derived origin, and from no other', async () => {
        const preflight = (origin: string) =>
          t.app.inject({
            method: 'OPTIONS',
            url: '/api/step/users',
            headers: {
              origin,
              'access-control-request-method': 'POST',
              'access-control-request-headers': 'authorization,content-type,idempotency-key',
            },
          })
        for (const origin of DERIVED) {
          const response = await preflight(origin)
          expect(response.statusCode).toBe(204)
          expect(response.headers['access-control-allow-origin']).toBe(origin)
        }
        for (const origin of ['https://admin.example.org', 'myapp://callback', 'https://evil.example.net']) {
          expect((await preflight(origin)).headers['access-control-allow-origin'], origin).toBeUndefined()
        }
      })
    })

    it('uses CORS_ALLOWED_ORIGINS instead of the app client when it is set', async () => {
      const t = await createTestApp(database(), {
        env: cognitoEnv(uiClientId, { CORS_ALLOWED_ORIGINS: 'https://only.example.org' }),
      })
      try {
        const preflight = (origin: string) =>
          t.app.inject({
            method: 'OPTIONS',
            url: '/api/users',
            headers: { origin, 'access-control-request-method': 'GET' },
          })
        expect((await preflight('https://only.example.org')).headers['access-control-allow-origin']).toBe(
          'https://only.example.org',
        )
        expect((await preflight(DERIVED[0]!)).headers['access-control-allow-origin']).toBeUndefined()
      } finally {
        await t.close()
      }
    })

    /** The container `env` configures (what CLI commands build too), closed after `use`. */
    const withContainer = async (env: Record<string, string>, use: (deps: Deps) => Promise<void>) => {
      const container = await createContainer(testConfig(env), silentLog, {
        database: { ...database(), close: async () => {} },
      })
      try {
        await use(container.deps)
      } finally {
        await container.close()
      }
    }

    it('refuses to start the HTTP app as a configuration error, saying what to do, when Cognito refuses to describe the app client', async () => {
      // The container alone never makes the call: only the HTTP app asks, so CLI commands do not.
      await withContainer(cognitoEnv('nosuchclient123'), async (deps) => {
        const failure = buildApp(deps)
        await expect(failure).rejects.toBeInstanceOf(ConfigError)
        await expect(failure).rejects.toThrow(
          /^Invalid configuration: CORS_ALLOWED_ORIGINS is unset and Cognito refused DescribeUserPoolClient for AWS_COGNITO_APP_CLIENT_ID \(ResourceNotFoundException\): set CORS_ALLOWED_ORIGINS/,
        )
      })
    })

    it('refuses to start the HTTP app as a provider outage when Cognito does not answer', async () => {
      await withContainer(
        cognitoEnv(uiClientId, { COGNITO_ENDPOINT: 'http://127.0.0.1:1' }),
        async (deps) => {
          const failure = buildApp(deps)
          await expect(failure).rejects.toBeInstanceOf(IdentityProviderError)
          await expect(failure).rejects.toMatchObject({ reason: 'Unavailable' })
        },
      )
    })

    it('sorts GET /api/users by email in code-point order when the users come from the pool', async () => {
      const t = await createTestApp(database(), { env: cognitoEnv(emulator().pool.appClientId) })
      try {
        const stamp = randomUUID().slice(0, 8)
        const grant = async (email: string, roleId: string) => {
          const user = await t.deps.idp.createUser(email, { suppressInvite: true })
          await createUserRolesRepository(database().db).replaceGlobal(user.id, [roleId])
          return user
        }
        const admin = await grant(`admin.${stamp}@pool-sort.example.org`, ADMIN_ROLE_ID)
        const emails = ['p1_', 'p10_', 'p2_', 'lst_x', 'lst-x', 'lstx'].map(
          (local) => `${local}.${stamp}@pool-sort.example.org`,
        )
        for (const email of emails) await grant(email, VIEWER_ROLE_ID)
        const headers = bearer(await emulator().accessTokenFor(admin.username))
        const response = await t.app.inject({
          method: 'GET',
          url: `/api/users?search=${stamp}&pageSize=50`,
          headers,
        })
        expect(response.statusCode).toBe(200)
        const seen = response.json().data.map((user: { email: string }) => user.email)
        expect(seen).toEqual([...emails, admin.email].sort(byCodePoints))
        expect(seen.indexOf(emails[1])).toBeLessThan(seen.indexOf(emails[0]))
        expect(seen.indexOf(emails[4])).toBeLessThan(seen.indexOf(emails[3]))
      } finally {
        await t.close()
      }
    })
  })
})
