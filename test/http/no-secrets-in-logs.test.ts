import { Writable } from 'node:stream'
import { sql } from 'drizzle-orm'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { createContainer } from '../../src/container.js'
import { RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { startRegistrationWorkers } from '../../src/features/register-user/register-user.job.js'
import { buildApp } from '../../src/http/build-app.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import { loggerOptions } from '../../src/logger.js'
import { waitForState } from '../register-user/saga-assertions.js'
import { injectDatabaseFault, installDatabaseFaults } from '../support/database-faults.js'
import { bearer, createAdmin, tokenFor, uniqueEmail } from '../support/factories.js'
import { scriptIdentityProvider } from '../support/scripted-identity-provider.js'
import { rowsOf } from '../support/sql-rows.js'
import { testConfig } from '../support/test-app.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

const METRICS_TOKEN = 'metrics-secret-7c1e9a40b2'

/**
 * A whole operator's run at LOG_LEVEL=trace, through the service's own logger configuration
 * (its redaction included): registrations that complete, wait for the background, roll back and
 * are retried, operator actions, listings, metrics, failed authentications. Then the captured log
 * is searched for every secret the run handled: access tokens (good, forged and expired), the
 * metrics token, the signing key's private parts and the database URL with its password.
 */
describe.each(databaseTargets())('no secrets in the logs on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)

    it('logs no token, password or private key material at trace level', async () => {
      let captured = ''
      const sink = new Writable({
        write(chunk, _encoding, done) {
          captured += String(chunk)
          done()
        },
      })
      // The service's logger options (redaction included), writing to a sink the test reads.
      const log = pino(loggerOptions('trace'), sink)
      const container = await createContainer(testConfig({ LOG_LEVEL: 'trace', METRICS_TOKEN }), log, {
        database: { ...database(), close: async () => {} },
        jobs: { pollingIntervalSeconds: 0.5, retryDelaySeconds: 1, retryDelayMaxSeconds: 2 },
        saga: { compensationBudget: 1 },
      })
      const idp = scriptIdentityProvider(container.deps.idp)
      const deps = { ...container.deps, idp }
      const app = await buildApp(deps)
      const secrets: string[] = [METRICS_TOKEN]
      try {
        await startRegistrationWorkers(deps, deps.saga, deps.jobs)
        const admin = await createAdmin(deps)
        const token = await tokenFor(deps, admin)
        const expired = await tokenFor(deps, admin, -60)
        const forged = `${token.slice(0, -8)}AAAAAAAA`
        secrets.push(token, expired, forged, token.split('.')[2]!)
        const headers = bearer(token)
        const register = (email: string) =>
          app.inject({
            method: 'POST',
            url: '/api/step/users',
            headers,
            payload: { email, name: 'N', organisation: 'O', roles: [RESEARCHER_ROLE_ID] },
          })

        expect((await register(uniqueEmail('ok'))).statusCode).toBe(201)
        // Down until healed: a fixed count would race the sweep's job between inline attempts.
        idp.fail('createUser', () => new IdentityProviderError('Unavailable', 'down'))
        const later = await register(uniqueEmail('later'))
        expect(later.statusCode).toBe(202)
        idp.heal('createUser')
        // Finished first, so the grant fault below meets the next registration, not this one.
        await waitForState(database(), later.json().registration_id, 'completed')
        // A definitive grant failure whose rollback fails too: compensation, then needs_attention.
        idp.fail('deleteUser', () => new IdentityProviderError('ProviderError', 'nope'))
        await installDatabaseFaults(database())
        await injectDatabaseFault(database(), 'user_role', '23514', 1)
        const undone = await register(uniqueEmail('undo'))
        expect(undone.statusCode).toBe(500)
        const stuck = undone.json().registrationId as string
        await waitForState(database(), stuck, 'needs_attention')
        const list = await app.inject({ method: 'GET', url: '/api/step/users?state=pending', headers })
        expect(list.statusCode).toBe(200)
        await app.inject({ method: 'GET', url: '/api/users', headers })
        await app.inject({ method: 'GET', url: '/api/roles', headers: bearer(expired) })
        await app.inject({ method: 'GET', url: '/api/roles', headers: bearer(forged) })
        await app.inject({
          method: 'GET',
          url: `/api/roles?token=${token}`,
          headers: { authorization: token },
        })
        await app.inject({ method: 'GET', url: '/metrics', headers: bearer(METRICS_TOKEN) })
        await app.inject({ method: 'GET', url: '/metrics', headers: bearer(`${METRICS_TOKEN}x`) })
        // The operator's retry, once the IdP deletes again, finishes the rollback.
        idp.heal('deleteUser')
        const retried = await app.inject({ method: 'POST', url: `/api/step/users/${stuck}/retry`, headers })
        expect(retried.statusCode).toBe(200)
        await waitForState(database(), stuck, 'rolled_back')
        // Let the background finish what is left.
        await new Promise((resolve) => setTimeout(resolve, 3_000))

        const keys = await rowsOf<{ private_jwk: Record<string, string> }>(
          database(),
          sql`SELECT private_jwk FROM signing_key`,
        )
        for (const { private_jwk } of keys)
          for (const part of ['d', 'p', 'q', 'dp', 'dq', 'qi'])
            if (private_jwk[part]) secrets.push(private_jwk[part])
        if (target.kind === 'postgres' && 'url' in database())
          secrets.push((database() as { url: string }).url)
      } finally {
        await app.close()
        await container.close()
      }
      // The run was logged at every level it produces, debug included (progress notes).
      expect(captured.split('\n').length).toBeGreaterThan(20)
      expect(captured).toContain('"msg":"registration progress"')
      expect(captured).toContain('"msg":"registration job started"')
      expect(captured).toContain('"to":"needs_attention"')
      expect(captured).toContain('"to":"rolled_back"')
      const leaked = secrets.filter((secret) => secret.length >= 16 && captured.includes(secret))
      expect(leaked.map((secret) => `${secret.slice(0, 12)}…`)).toEqual([])
      expect(captured).not.toMatch(/PRIVATE KEY/)
    })
  })
})
