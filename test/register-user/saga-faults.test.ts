import { describe, expect, it } from 'vitest'
import { RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import { injectDatabaseFault } from '../support/database-faults.js'
import { createUser, uniqueEmail } from '../support/factories.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'
import { footprintOf, registrationById, transitionsOf, waitForState } from './saga-assertions.js'

const unavailable = () => new IdentityProviderError('Unavailable', 'The identity provider is unavailable')
const providerError = (message: string) => () => new IdentityProviderError('ProviderError', message)

/**
 * FLIP's step-function cases, mapped to this service's outcomes, with faults injected at the
 * identity provider (a scripted boundary) and in the real database (triggers raising SQLSTATEs).
 * Background workers run, so every 202 is followed to its final state.
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

    it('answers exactly "Failed to register user" for an unexpected exception while creating, and creates nothing', async () => {
      const email = uniqueEmail()
      s.idp.fail('createUser', () => new Error('DB failure'))
      const response = await register(email)
      expect(response.statusCode).toBe(500)
      expect(response.json().detail).toBe('Failed to register user')
      expect(response.body).not.toContain('DB failure')
      const footprint = await footprintOf(database(), email)
      expect(footprint).toMatchObject({ identities: [], grants: [], profiles: 0 })
      expect(footprint.registrations).toMatchObject([{ state: 'failed' }])
    })

    it('answers 202 while the IdP is unavailable at create, then completes in the background', async () => {
      const email = uniqueEmail()
      s.idp.fail('createUser', unavailable)
      const response = await register(email)
      expect(response.statusCode).toBe(202)
      expect(response.headers.location).toBe(`/api/step/users/${response.json().registration_id}`)
      expect(response.json()).toMatchObject({ state: 'pending', email })
      s.idp.heal()
      const done = await waitForState(database(), response.json().registration_id, 'completed')
      expect((await footprintOf(database(), email)).identities).toEqual([done.userId])
    })

    it('keeps throttled registrations and completes them once the IdP lets us through', async () => {
      const email = uniqueEmail()
      s.idp.fail(
        'createUser',
        () => new IdentityProviderError('Throttled', 'slow down', { retryAfterMs: 200 }),
        { times: 4 },
      )
      const response = await register(email)
      expect(response.statusCode).toBe(202)
      await waitForState(database(), response.json().registration_id, 'completed')
    })

    it('adopts the user an ambiguous create made instead of failing on AlreadyExists', async () => {
      const email = uniqueEmail()
      s.idp.fail('createUser', () => new IdentityProviderError('Ambiguous', 'timed out'), {
        times: 3,
        afterForwarding: true,
      })
      const response = await register(email)
      // The second inline attempt meets AlreadyExists for the user the first one made, adopts it
      // and completes within the same request.
      expect(response.statusCode).toBe(201)
      const footprint = await footprintOf(database(), email)
      const done = await registrationById(database(), footprint.registrations[0]!.id)
      expect(done.state).toBe('completed')
      expect(footprint.identities).toEqual([done.userId])
      expect(footprint.grants).toEqual([RESEARCHER_ROLE_ID])
      const transitions = await transitionsOf(database(), done.id)
      expect(transitions).toEqual(['∅→pending', 'pending→identity_created', 'identity_created→completed'])
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

    it('completes at once when a serialization failure clears within the inline retries', async () => {
      const email = uniqueEmail()
      await injectDatabaseFault(database(), 'user_role', '40001', 2)
      const response = await register(email)
      expect(response.statusCode).toBe(201)
      expect(s.idp.calls.deleteUser).toBe(0)
    })

    it('keeps the user on a lasting serialization failure (40001) and completes it in the background', async () => {
      const email = uniqueEmail()
      await injectDatabaseFault(database(), 'user_role', '40001', 5)
      const response = await register(email)
      expect(response.statusCode).toBe(202)
      expect(response.json()).toMatchObject({ state: 'identity_created', user_id: expect.any(String) })
      const done = await waitForState(database(), response.json().registration_id, 'completed')
      expect(done.userId).toBe(response.json().user_id)
      expect(s.idp.calls.deleteUser).toBe(0)
      expect((await footprintOf(database(), email)).identities).toEqual([done.userId])
    })

    it.each([
      ['a deadlock (40P01)', '40P01'],
      ['a lost connection (08006)', '08006'],
      ['an administrator shutdown (57P01)', '57P01'],
    ])('treats %s during role assignment as transient', async (_label, sqlstate) => {
      await injectDatabaseFault(database(), 'user_role', sqlstate, 4)
      const response = await register(uniqueEmail())
      expect(response.statusCode).toBe(202)
      await waitForState(database(), response.json().registration_id, 'completed')
      expect(s.idp.calls.deleteUser).toBe(0)
    })

    it.each([
      ['a plain exception (P0001)', 'P0001'],
      ['a role removed meanwhile (23503)', '23503'],
      ['a check violation (23514)', '23514'],
    ])('rolls the user back when role assignment fails definitively with %s', async (_label, sqlstate) => {
      const email = uniqueEmail()
      await injectDatabaseFault(database(), 'user_role', sqlstate, 1)
      const response = await register(email)
      expect(response.statusCode).toBe(500)
      const registrationId = response.json().registrationId
      const registration = await registrationById(database(), registrationId)
      expect(response.json().detail).toBe(
        `Failed to set user roles for user ${registration.userId}. User has been deleted.`,
      )
      expect(registration.state).toBe('rolled_back')
      const footprint = await footprintOf(database(), email)
      expect(footprint).toMatchObject({ identities: [], grants: [], profiles: 0, audit: ['Deleted user'] })
      expect(await transitionsOf(database(), registrationId)).toEqual([
        '∅→pending',
        'pending→identity_created',
        'identity_created→compensating',
        'compensating→rolled_back',
      ])
    })

    it('keeps the rollback detail when compensation fails, then finishes the rollback once the IdP recovers', async () => {
      const email = uniqueEmail()
      await injectDatabaseFault(database(), 'user_role', 'P0001', 1)
      s.idp.fail('deleteUser', providerError('Sentinel rollback detail'))
      const response = await register(email)
      expect(response.statusCode).toBe(500)
      const { registrationId } = response.json()
      const registration = await registrationById(database(), registrationId)
      expect(response.json().detail).toBe(
        `Failed to set user roles for user ${registration.userId}; rollback also failed (Sentinel rollback detail). Manual cleanup required.`,
      )
      expect(registration.state).toBe('compensating')
      // The database half is already committed: no grants, no profile, audited once.
      expect(await footprintOf(database(), email)).toMatchObject({
        grants: [],
        profiles: 0,
        audit: ['Deleted user'],
      })
      s.idp.heal()
      await waitForState(database(), registrationId, 'rolled_back')
      expect(await footprintOf(database(), email)).toMatchObject({ identities: [], audit: ['Deleted user'] })
    })

    it('hands a registration to a person when compensation keeps failing past its budget', async () => {
      const email = uniqueEmail()
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

    it('treats an IdP user already gone during compensation as deleted', async () => {
      const email = uniqueEmail()
      await injectDatabaseFault(database(), 'user_role', 'P0001', 1)
      s.idp.fail('deleteUser', () => new IdentityProviderError('NotFound', 'gone'))
      const response = await register(email)
      expect(response.statusCode).toBe(500)
      expect(response.json().detail).toMatch(/User has been deleted\.$/)
    })

    it('does not re-read the lagging directory: a get-by-id NotFound right after create does not matter', async () => {
      s.idp.fail('getUserById', () => new IdentityProviderError('NotFound', 'not yet visible'))
      s.idp.fail('listUsers', () => new IdentityProviderError('NotFound', 'not yet visible'))
      const response = await register(uniqueEmail())
      expect(response.statusCode).toBe(201)
      expect(s.idp.calls.getUserById + s.idp.calls.listUsers).toBe(0)
    })
  })
})
