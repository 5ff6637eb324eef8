import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import { injectDatabaseFault } from '../support/database-faults.js'
import { uniqueEmail } from '../support/factories.js'
import { invalidEventPaths, orphans } from '../support/registration-invariants.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { rowsOf } from '../support/sql-rows.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'
import { footprintOf, waitForState } from './saga-assertions.js'

const body = (email: string) => ({
  email,
  name: 'Test User',
  organisation: 'Example Org',
  roles: [RESEARCHER_ROLE_ID],
})

/**
 * A state and its event commit together (one statement), so a fault on the event insert leaves
 * neither; a registration moved under a step is re-read, not a 500; and a replay racing its
 * original is always answered as the replay.
 */
describe.each(databaseTargets())('registration transitions and replays on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    // When armed, the next create reaches the IdP, then the registration is moved on as if our
    // own write had committed behind a lost acknowledgement, and the step sees a transient error.
    let moveUnderTheStep = false
    const s = useScriptedTestApp(database, {
      faults: true,
      workers: true,
      saga: { compensationBudget: 3, leaseSeconds: 5 },
    })
    // After the scripted app's own beforeAll, so its provider exists: every create goes through
    // the provider, then (when armed) the registration moves on and the step sees a failure.
    beforeAll(() => {
      const create = s.idp.createUser
      s.idp.createUser = async (email, options) => {
        const user = await create(email, options)
        if (!moveUnderTheStep) return user
        moveUnderTheStep = false
        await database().db.execute(sql`
          WITH moved AS (
            UPDATE registration SET state = 'identity_created', user_id = ${user.id},
              username = ${user.username}, updated_at = now()
            WHERE email_normalised = ${email.toLowerCase()} AND state = 'pending' RETURNING id)
          INSERT INTO registration_event (registration_id, from_state, to_state, actor, reason)
          SELECT id, 'pending', 'identity_created', 'test', 'a commit whose acknowledgement was lost'
          FROM moved`)
        throw new IdentityProviderError('Unavailable', 'connection reset')
      }
    })

    const register = (email: string, headers: Record<string, string> = {}) =>
      s.t.app.inject({
        method: 'POST',
        url: '/api/step/users',
        headers: { ...s.headers, ...headers },
        payload: body(email),
      })

    const registrationOf = async (email: string) => {
      const [row] = await rowsOf<{ id: string; state: string }>(
        database(),
        sql`SELECT id, state FROM registration WHERE email_normalised = ${email}`,
      )
      return row!
    }

    it.each([
      ['the registration itself (∅→pending)', 0],
      ['the attempt noted before the IdP create (pending→pending)', 1],
      ['the move to identity_created', 2],
      ['the move to completed, inside the grant transaction', 3],
    ])(
      'keeps state and event together when a serialization failure hits the event of %s, and answers 201 or 202, never 500',
      async (_label, skip) => {
        await injectDatabaseFault(database(), 'registration_event', '40001', 1, 0, skip)
        const email = uniqueEmail('event-fault')
        const response = await register(email)
        expect([201, 202]).toContain(response.statusCode)
        const registration = await registrationOf(email)
        await waitForState(database(), registration.id, 'completed')
        expect(await invalidEventPaths(database())).toEqual([])
        const [fired] = await rowsOf<{ n: string }>(
          database(),
          sql`SELECT last_value AS n FROM test_fault_fired`,
        )
        expect(Number(fired!.n)).toBeGreaterThan(skip)
        const footprint = await footprintOf(database(), email)
        expect(footprint.identities).toHaveLength(1)
        expect(footprint.grants).toEqual([RESEARCHER_ROLE_ID])
        expect(s.idp.calls.deleteUser).toBe(0)
      },
    )

    it('answers a registration that moved on under a failing step from where it now stands, not with a 500', async () => {
      const email = uniqueEmail('moved')
      moveUnderTheStep = true
      const response = await register(email)
      expect([201, 202]).toContain(response.statusCode)
      const registration = await registrationOf(email)
      await waitForState(database(), registration.id, 'completed')
      expect((await footprintOf(database(), email)).identities).toHaveLength(1)
      expect(await invalidEventPaths(database())).toEqual([])
    })

    it('answers ten simultaneous replays of one Idempotency-Key and body with the one registration, never 409', async () => {
      const email = uniqueEmail('replay')
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => register(email, { 'idempotency-key': `race-${email}` })),
      )
      expect(responses.map((response) => response.statusCode).filter((status) => status >= 300)).toEqual([])
      const registration = await registrationOf(email)
      for (const response of responses) {
        if (response.statusCode === 202) expect(response.json().registration_id).toBe(registration.id)
      }
      const done = await waitForState(database(), registration.id, 'completed')
      for (const response of responses) expect(response.json().user_id ?? done.userId).toBe(done.userId)
      const footprint = await footprintOf(database(), email)
      expect(footprint.registrations).toHaveLength(1)
      expect(footprint.identities).toEqual([done.userId])
      expect(await orphans(database())).toEqual({ identitiesWithoutGrants: [], grantsWithoutIdentity: [] })
    })

    it('still answers 409 to a second registration of an in-flight email under another key', async () => {
      const email = uniqueEmail('other-key')
      await injectDatabaseFault(database(), 'user_role', '40001', 10)
      const first = await register(email, { 'idempotency-key': `first-${email}` })
      expect(first.statusCode).toBe(202)
      const second = await register(email, { 'idempotency-key': `second-${email}` })
      expect(second.statusCode).toBe(409)
      expect(second.json()).toMatchObject({ code: 'registration.in_flight' })
    })
  })
})
