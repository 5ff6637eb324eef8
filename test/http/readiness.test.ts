import { describe, expect, it } from 'vitest'
import { IDP_PROBE_CACHE_MS } from '../../src/features/health/readiness.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

describe.each(databaseTargets())('GET /api/ready on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    // A clock the test moves, so the probe's cache expires when the test says.
    let offsetMs = 0
    const clock = { now: () => new Date(Date.now() + offsetMs) }
    const s = useScriptedTestApp(database, { clock })
    const ready = () => s.t.app.inject({ method: 'GET', url: '/api/ready' })
    const later = () => {
      offsetMs += IDP_PROBE_CACHE_MS + 1
    }

    it('is ready when the database and the identity provider answer, asking the provider once per few seconds', async () => {
      later()
      const first = await ready()
      expect(first.statusCode).toBe(200)
      expect(first.json()).toEqual({
        status: 'ready',
        checks: { database: true, migrations: true, identityProvider: true },
      })
      await ready()
      await ready()
      expect(s.idp.calls.listUsers).toBe(1)
    })

    it('answers 503 naming the identity provider when it does not answer, and recovers when it does', async () => {
      later()
      s.idp.fail(
        'listUsers',
        () => new IdentityProviderError('Unavailable', 'The identity provider is unavailable'),
      )
      const down = await ready()
      expect(down.statusCode).toBe(503)
      expect(down.json()).toMatchObject({
        status: 'not ready',
        checks: { database: true, migrations: true, identityProvider: false },
        detail: 'Not ready: the identity provider',
      })
      s.idp.heal()
      // Still the cached answer inside the window…
      expect((await ready()).statusCode).toBe(503)
      later()
      expect((await ready()).statusCode).toBe(200)
    })

    it('counts a throttled provider as present', async () => {
      later()
      s.idp.fail('listUsers', () => new IdentityProviderError('Throttled', 'slow down'))
      expect((await ready()).statusCode).toBe(200)
    })
  })
})
