import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { footprintOf, registrationById, transitionsOf } from '../../../test/register-user/saga-assertions.js'
import { clearDatabaseFaults, injectDatabaseFault } from '../../../test/support/database-faults.js'
import { createAdmin, createUser, uniqueEmail } from '../../../test/support/factories.js'
import { registerAsAdmin, useScriptedTestApp } from '../../../test/support/scripted-test-app.js'
import { databaseTargets, useTestDatabase } from '../../../test/support/test-database.js'
import { normaliseEmail } from '../../domain/email.js'
import { RESEARCHER_ROLE_ID } from '../../domain/roles.js'
import type { AppError } from '../../errors/app-error.js'
import { IdentityProviderError } from '../../identity/identity-errors.js'
import { createRegistrationsRepository } from '../../repositories/registrations-repository.js'
import { advanceRegistration } from '../register-user/register-user.saga.js'
import { ABANDON_SETTLE_SECONDS, abandonRegistration } from './abandon-registration.js'
import { listRegistrations } from './list-registrations.js'
import { retryRegistration } from './retry-registration.js'

const unavailable = () => new IdentityProviderError('Unavailable', 'The identity provider is unavailable')
const deleteFails = () => new IdentityProviderError('ProviderError', 'Failed to delete user')

const rejection = async (promise: Promise<unknown>): Promise<AppError> => {
  try {
    await promise
  } catch (error) {
    return error as AppError
  }
  throw new Error('expected a rejection')
}

/**
 * The operator's retry and abandon, against real databases, on registrations driven into each
 * state by IdP and database faults. No background workers run: every move is the operator's.
 */
describe.each(databaseTargets())('operating registrations on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)

    const s = useScriptedTestApp(database, { faults: true, saga: { compensationBudget: 2 } })

    const register = (email: string) => registerAsAdmin(s, email)

    /** Moves a registration's last change back past the abandon settle window. */
    const settle = (id: string) =>
      database().db.execute(
        sql`UPDATE registration SET updated_at = updated_at - make_interval(secs => ${ABANDON_SETTLE_SECONDS + 1}) WHERE id = ${id}`,
      )

    /** A pending registration whose create calls all failed without reaching the IdP, a while ago. */
    const pendingRegistration = async (email = uniqueEmail()) => {
      s.idp.fail('createUser', unavailable)
      const { status, id } = await register(email)
      expect(status).toBe(202)
      await settle(id)
      return { email, id }
    }

    /** Roles could not be granted and the IdP delete keeps failing: past the budget of 2. */
    const needsAttentionRegistration = async (email = uniqueEmail()) => {
      await injectDatabaseFault(database(), 'user_role', 'P0001', 1)
      s.idp.fail('deleteUser', deleteFails)
      const { status, id } = await register(email)
      expect(status).toBe(500)
      expect((await registrationById(database(), id)).state).toBe('compensating')
      await advanceRegistration(s.t.deps, s.t.deps.saga, id, 'worker')
      expect((await registrationById(database(), id)).state).toBe('needs_attention')
      return { email, id }
    }

    /** Recorded, then the process died before the first create was attempted. */
    const neverAttemptedRegistration = async (email = uniqueEmail()) => {
      const admin = await createAdmin(s.t.deps)
      const registration = await createRegistrationsRepository(database().db).insert(
        {
          email,
          emailNormalised: normaliseEmail(email),
          name: 'Test User',
          organisation: 'Example Org',
          roleIds: [RESEARCHER_ROLE_ID],
          trustId: null,
          requestedBy: admin.id,
          idempotencyKey: null,
          requestHash: 'test',
        },
        admin.id,
      )
      return { email, id: registration.id }
    }

    it('finishes the rollback of a needs_attention registration once the IdP heals, leaving no IdP user', async () => {
      const { email, id } = await needsAttentionRegistration()
      s.idp.heal()
      const outcome = await retryRegistration(s.t.deps, id)
      expect(outcome).toMatchObject({ registration: { state: 'rolled_back' }, advanced: true, queued: false })
      expect(await footprintOf(database(), email)).toMatchObject({ identities: [], grants: [], profiles: 0 })
      const events = await createRegistrationsRepository(database().db).events(id)
      expect(events).toContainEqual(
        expect.objectContaining({
          fromState: 'needs_attention',
          toState: 'compensating',
          actor: 'operator',
          reason: 'retry requested by an operator',
        }),
      )
      expect((await transitionsOf(database(), id)).slice(-3)).toEqual([
        'compensating→needs_attention',
        'needs_attention→compensating',
        'compensating→rolled_back',
      ])
    })

    it('gives a retried needs_attention registration a fresh compensation budget and queues it while the IdP still fails', async () => {
      const { id } = await needsAttentionRegistration()
      const outcome = await retryRegistration(s.t.deps, id)
      // One more failure of a fresh budget of 2: still compensating, finished in the background.
      expect(outcome).toMatchObject({
        registration: { state: 'compensating', compensationAttempts: 1 },
        queued: true,
      })
    })

    it('completes a pending registration when retried after the IdP heals', async () => {
      const { email, id } = await pendingRegistration()
      s.idp.heal()
      const outcome = await retryRegistration(s.t.deps, id)
      expect(outcome.registration.state).toBe('completed')
      const footprint = await footprintOf(database(), email)
      expect(footprint.identities).toEqual([outcome.registration.userId])
      expect(footprint.grants).toEqual([RESEARCHER_ROLE_ID])
      const events = await createRegistrationsRepository(database().db).events(id)
      expect(events.at(-1)).toMatchObject({ toState: 'completed', actor: 'operator' })
    })

    it('leaves a retried registration to the background when the IdP is still down', async () => {
      const { id } = await pendingRegistration()
      const outcome = await retryRegistration(s.t.deps, id)
      expect(outcome).toMatchObject({ registration: { state: 'pending' }, advanced: true, queued: true })
    })

    it('rolls an identity_created registration back when abandoned, leaving nothing behind', async () => {
      const email = uniqueEmail()
      await injectDatabaseFault(database(), 'user_role', '40001', 5)
      const { status, id } = await register(email)
      expect(status).toBe(202)
      expect((await registrationById(database(), id)).state).toBe('identity_created')
      await clearDatabaseFaults(database())
      const outcome = await abandonRegistration(s.t.deps, id)
      expect(outcome.registration.state).toBe('rolled_back')
      expect(await footprintOf(database(), email)).toMatchObject({ identities: [], grants: [], profiles: 0 })
      expect((await transitionsOf(database(), id)).slice(-2)).toEqual([
        'identity_created→compensating',
        'compensating→rolled_back',
      ])
      expect(await createRegistrationsRepository(database().db).events(id)).toContainEqual(
        expect.objectContaining({
          toState: 'compensating',
          actor: 'operator',
          reason: 'abandoned by an operator',
        }),
      )
    })

    it('fails a pending registration that never reached the IdP without asking the IdP', async () => {
      const { email, id } = await neverAttemptedRegistration()
      s.idp.resetCalls()
      const outcome = await abandonRegistration(s.t.deps, id)
      expect(outcome.registration).toMatchObject({
        state: 'failed',
        errorDetail: 'Registration abandoned by an operator',
      })
      expect(s.idp.calls.getUserByEmail + s.idp.calls.createUser + s.idp.calls.deleteUser).toBe(0)
      expect(await transitionsOf(database(), id)).toEqual(['∅→pending', 'pending→failed'])
      expect((await footprintOf(database(), email)).identities).toEqual([])
    })

    it('fails a pending registration whose attempted create left nothing at the IdP', async () => {
      const { id } = await pendingRegistration()
      s.idp.heal()
      const outcome = await abandonRegistration(s.t.deps, id)
      expect(outcome.registration.state).toBe('failed')
      expect(s.idp.calls.getUserByEmail).toBe(1)
      expect(s.idp.calls.deleteUser).toBe(0)
    })

    it('adopts and deletes the user an ambiguous create made when a pending registration is abandoned', async () => {
      const email = uniqueEmail()
      // The first create reaches the IdP but answers Ambiguous; every later one fails before it.
      s.idp.fail(
        'createUser',
        () => {
          s.idp.fail('createUser', unavailable)
          return new IdentityProviderError('Ambiguous', 'timed out')
        },
        { times: 1, afterForwarding: true },
      )
      const { status, id } = await register(email)
      expect(status).toBe(202)
      expect((await registrationById(database(), id)).state).toBe('pending')
      expect((await footprintOf(database(), email)).identities).toHaveLength(1)

      // At once, the lookup could miss a user the create has yet to make: the operator waits.
      s.idp.resetCalls()
      const early = await rejection(abandonRegistration(s.t.deps, id))
      expect(early).toMatchObject({
        code: 'registration.settling',
        detail: expect.stringMatching(
          new RegExp(
            `^Registration ${id} tried to create its identity-provider user less than 60 seconds ago and that user may still appear; try again in \\d+ s$`,
          ),
        ),
      })
      expect(s.idp.calls.getUserByEmail + s.idp.calls.deleteUser).toBe(0)
      expect(await registrationById(database(), id)).toMatchObject({ state: 'pending', leaseOwner: null })

      await settle(id)
      const outcome = await abandonRegistration(s.t.deps, id)
      expect(outcome.registration.state).toBe('rolled_back')
      expect(outcome.registration.username).toBe(email)
      expect(s.idp.calls.deleteUser).toBe(1)
      expect((await footprintOf(database(), email)).identities).toEqual([])
      expect((await transitionsOf(database(), id)).slice(-2)).toEqual([
        'pending→compensating',
        'compensating→rolled_back',
      ])
    })

    it('never takes over a user that existed before the registration and holds grants', async () => {
      const email = uniqueEmail('theft')
      const owner = await createUser(s.t.deps, [RESEARCHER_ROLE_ID], email)
      // The registration's create never reached the IdP; the email is someone else's.
      s.idp.fail('createUser', unavailable)
      const { status, id } = await register(email)
      expect(status).toBe(202)
      await settle(id)
      const outcome = await abandonRegistration(s.t.deps, id)
      expect(outcome.registration.state).toBe('failed')
      expect(s.idp.calls.deleteUser).toBe(0)
      const footprint = await footprintOf(database(), email)
      expect(footprint.identities).toEqual([owner.id])
      expect(footprint.grants).toEqual([RESEARCHER_ROLE_ID])
    })

    it('leaves the registration untouched when the IdP cannot be asked whether the user exists', async () => {
      const { id } = await pendingRegistration()
      s.idp.fail('getUserByEmail', unavailable)
      const error = await rejection(abandonRegistration(s.t.deps, id))
      expect(error).toMatchObject({ code: 'idp.unavailable', retryable: true })
      expect(await registrationById(database(), id)).toMatchObject({ state: 'pending', leaseOwner: null })
    })

    it('rolls a needs_attention registration back when abandoned after the IdP heals', async () => {
      const { email, id } = await needsAttentionRegistration()
      s.idp.heal()
      const outcome = await abandonRegistration(s.t.deps, id)
      expect(outcome.registration).toMatchObject({ state: 'rolled_back' })
      expect((await footprintOf(database(), email)).identities).toEqual([])
    })

    it('measures the settle window from the latest create attempt, not the first', async () => {
      const { id } = await pendingRegistration()
      const before = await registrationById(database(), id)
      // A worker tries again now (the IdP still fails). What the database holds while the call is
      // out is what an abandon would see if this worker died mid-call: the attempt must be there.
      let duringCall: ReturnType<typeof registrationById> | undefined
      s.idp.fail('createUser', () => {
        duringCall ??= registrationById(database(), id)
        return unavailable()
      })
      await advanceRegistration(s.t.deps, s.t.deps.saga, id, 'worker')
      const seen = await duringCall!
      expect(seen.createAttemptedAt!.getTime()).toBeGreaterThan(before.createAttemptedAt!.getTime())
      expect(seen.updatedAt.getTime()).toBeGreaterThan(before.updatedAt.getTime())
      s.idp.resetCalls()
      const error = await rejection(abandonRegistration(s.t.deps, id))
      expect(error).toMatchObject({ code: 'registration.settling' })
      expect(s.idp.calls.getUserByEmail).toBe(0)
    })

    it('refuses to abandon a registration another process is working on', async () => {
      const { id } = await pendingRegistration()
      await createRegistrationsRepository(database().db).claim(id, 'worker:elsewhere', 60)
      const error = await rejection(abandonRegistration(s.t.deps, id))
      expect(error).toMatchObject({ code: 'registration.in_flight' })
      expect(await registrationById(database(), id)).toMatchObject({
        state: 'pending',
        leaseOwner: 'worker:elsewhere',
      })
    })

    it('refuses to retry or abandon a registration in a final state', async () => {
      const completed = await register(uniqueEmail())
      expect(completed.status).toBe(201)
      const completedId = (await listRegistrations(s.t.deps, { state: 'completed' }))[0]!.registration_id
      const { id: failedId } = await neverAttemptedRegistration()
      await abandonRegistration(s.t.deps, failedId)
      await injectDatabaseFault(database(), 'user_role', 'P0001', 1)
      const rolledBack = await register(uniqueEmail())
      expect(rolledBack.status).toBe(500)
      for (const [id, state] of [
        [completedId, 'completed'],
        [failedId, 'failed'],
        [rolledBack.id, 'rolled_back'],
      ] as const) {
        expect(await rejection(retryRegistration(s.t.deps, id))).toMatchObject({
          code: 'registration.not_workable',
          detail: `Registration ${id} is already ${state}; nothing to retry`,
        })
        expect(await rejection(abandonRegistration(s.t.deps, id))).toMatchObject({
          code: 'registration.not_workable',
          detail: `Registration ${id} is already ${state}; nothing to abandon`,
        })
      }
    })

    it('answers NotFound for an unknown or malformed registration id', async () => {
      for (const id of [randomUUID(), 'not-a-uuid']) {
        expect(await rejection(retryRegistration(s.t.deps, id))).toMatchObject({
          code: 'registration.not_found',
          kind: 'NotFound',
        })
        expect(await rejection(abandonRegistration(s.t.deps, id))).toMatchObject({
          code: 'registration.not_found',
        })
      }
    })

    it('lists registrations newest first, optionally in one state', async () => {
      const first = await neverAttemptedRegistration()
      const second = await pendingRegistration()
      await abandonRegistration(s.t.deps, first.id)
      const all = await listRegistrations(s.t.deps, {})
      expect(all.map((row) => row.registration_id)).toEqual([second.id, first.id])
      expect(await listRegistrations(s.t.deps, { state: 'failed' })).toEqual([
        expect.objectContaining({ registration_id: first.id, state: 'failed', email: first.email }),
      ])
      expect(await listRegistrations(s.t.deps, { limit: 1 })).toHaveLength(1)
    })
  })
})
