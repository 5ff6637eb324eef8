import { describe, expect, it } from 'vitest'
import { RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import { injectDatabaseFault } from '../support/database-faults.js'
import { createUser, uniqueEmail } from '../support/factories.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'
import { footprintOf, waitForState } from './saga-assertions.js'

const providerError = (message: string) => () => new IdentityProviderError('ProviderError', message)

/**
 * The saga's fault cases that the matrix (saga-matrix.test.ts: every step × failure kind ×
 * persistence) does not express: the adoption rule's refusal to take over someone else's user,
 * and the job engine itself, unattended, spending the compensation budget. Faults are injected at
 * the identity provider (a scripted boundary) and in the real database (triggers raising
 * SQLSTATEs); background workers run.
 */
describe.each(databaseTargets())('register-user saga under faults on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)

    const s = useScriptedTestApp(database, {
      faults: true,
      workers: true,
      saga: { compensationBudget: 3, leaseSeconds: 5 },
    })

    const register = (email: string) =>
      s.t.app.inject({
        method: 'POST',
        url: '/api/step/users',
        headers: s.headers,
        payload: { email, name: 'Test User', organisation: 'Example Org', roles: [RESEARCHER_ROLE_ID] },
      })

    it('never adopts a user that existed before the registration and already holds grants', async () => {
      const email = uniqueEmail('theft')
      const owner = await createUser(s.t.deps, [RESEARCHER_ROLE_ID], email)
      // The first create times out without reaching the IdP; the retry then meets the old user.
      s.idp.fail('createUser', () => new IdentityProviderError('Ambiguous', 'timed out'), { times: 1 })
      const response = await register(email)
      const registrationId = response.json().registration_id ?? response.json().registrationId
      const failed = await waitForState(database(), registrationId, 'failed')
      expect(failed.errorDetail).toBe(`User with email ${email} already exists`)
      const footprint = await footprintOf(database(), email)
      expect(footprint.identities).toEqual([owner.id])
      expect(footprint.grants).toEqual([RESEARCHER_ROLE_ID])
      expect(s.idp.calls.deleteUser).toBe(0)
    })

    it('hands a registration to a person when compensation keeps failing past its budget', async () => {
      const email = uniqueEmail()
      // Nobody drives the background here, unlike in the matrix: the jobs alone, with their
      // backoff, spend exactly the budget and stop.
      await injectDatabaseFault(database(), 'user_role', 'P0001', 1)
      s.idp.fail('deleteUser', providerError('Failed to delete user'))
      const response = await register(email)
      expect(response.statusCode).toBe(500)
      const stuck = await waitForState(database(), response.json().registrationId, 'needs_attention')
      expect(stuck.compensationAttempts).toBe(3)
      expect(s.idp.calls.deleteUser).toBe(3)
      const replay = await s.t.app.inject({ url: `/api/step/users/${stuck.id}`, headers: s.headers })
      expect(replay.json()).toMatchObject({ state: 'needs_attention', last_error: 'Failed to delete user' })
    })
  })
})
