import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { ABANDON_SETTLE_SECONDS } from '../../src/features/operate-registrations/abandon-registration.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import { footprintOf, registrationById } from '../register-user/saga-assertions.js'
import { clearDatabaseFaults, injectDatabaseFault } from '../support/database-faults.js'
import { bearer, createViewer, tokenFor, uniqueEmail } from '../support/factories.js'
import { registerAsAdmin, useScriptedTestApp } from '../support/scripted-test-app.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

const unavailable = () => new IdentityProviderError('Unavailable', 'The identity provider is unavailable')
const deleteFails = () => new IdentityProviderError('ProviderError', 'Failed to delete user')

/** The operator's registration routes over HTTP (docs/registrations-api.md), on every database. */
describe.each(databaseTargets())('registrations over HTTP on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    const s = useScriptedTestApp(database, { faults: true, saga: { compensationBudget: 1 } })

    const register = (email: string) => registerAsAdmin(s, email)
    const list = (query = '', headers = s.headers) =>
      s.t.app.inject({ method: 'GET', url: `/api/step/users${query}`, headers })
    const operate = (id: string, verb: 'retry' | 'abandon', headers = s.headers) =>
      s.t.app.inject({ method: 'POST', url: `/api/step/users/${id}/${verb}`, headers })

    /** Roles could not be granted and the IdP delete failed: past the budget of 1. */
    const needsAttention = async (email = uniqueEmail('attn')) => {
      await injectDatabaseFault(database(), 'user_role', 'P0001', 1)
      s.idp.fail('deleteUser', deleteFails)
      const { status, id } = await register(email)
      expect(status).toBe(500)
      await clearDatabaseFaults(database())
      expect((await registrationById(database(), id)).state).toBe('needs_attention')
      return id
    }

    it('lists registrations newest first with every state counted over the other filters', async () => {
      const tag = randomUUID().slice(0, 8)
      const first = await register(`list-${tag}-a@example.org`)
      const second = await register(`List-${tag}-B@example.org`)
      s.idp.fail('createUser', unavailable)
      const pending = await register(`list-${tag}-c@example.org`)
      s.idp.heal()
      expect([first.status, second.status, pending.status]).toEqual([201, 201, 202])

      const all = await list(`?email=${tag.toUpperCase()}`)
      expect(all.statusCode).toBe(200)
      const page = all.json()
      expect(page).toMatchObject({ page: 1, pageSize: 20, totalPages: 1, totalRecords: 3 })
      expect(page.data.map((row: { registration_id: string }) => row.registration_id)).toEqual([
        pending.id,
        second.id,
        first.id,
      ])
      expect(page.counts).toEqual({
        pending: 1,
        identity_created: 0,
        completed: 2,
        compensating: 0,
        rolled_back: 0,
        failed: 0,
        needs_attention: 0,
        deleting: 0,
        deleted: 0,
      })
      expect(page.data[1]).toMatchObject({
        state: 'completed',
        email: `List-${tag}-B@example.org`,
        name: 'Test User',
        organisation: 'Example Org',
        roles: [RESEARCHER_ROLE_ID],
        user_id: expect.any(String),
        last_error: null,
        error_code: null,
        requested_by: s.admin.id,
      })
      expect(page.data[0]).toMatchObject({ state: 'pending', error_code: 'idp.unavailable' })

      const completed = (await list(`?email=${tag}&state=completed&pageSize=1&pageNumber=2`)).json()
      expect(completed).toMatchObject({ page: 2, pageSize: 1, totalPages: 2, totalRecords: 2 })
      expect(completed.data.map((row: { registration_id: string }) => row.registration_id)).toEqual([
        first.id,
      ])
      // The state filter narrows the rows, never the counts.
      expect(completed.counts.pending).toBe(1)

      const twoStates = (await list(`?email=${tag}&state=completed&state=pending`)).json()
      expect(twoStates.totalRecords).toBe(3)
    })

    it('filters by creation time with since', async () => {
      const tag = randomUUID().slice(0, 8)
      const older = await register(`since-${tag}-old@example.org`)
      await database().db.execute(
        sql`UPDATE registration SET created_at = created_at - interval '1 day' WHERE id = ${older.id}`,
      )
      const newer = await register(`since-${tag}-new@example.org`)
      const since = new Date(Date.now() - 3_600_000).toISOString()
      const page = (await list(`?email=${tag}&since=${encodeURIComponent(since)}`)).json()
      expect(page.data.map((row: { registration_id: string }) => row.registration_id)).toEqual([newer.id])
      expect(page.counts.completed).toBe(1)
    })

    it('answers 422 naming an unknown state or a since that is not a date-time, and writes nothing', async () => {
      const badState = await list('?state=stuck')
      expect(badState.statusCode).toBe(422)
      expect(badState.json()).toMatchObject({
        code: 'request.invalid',
        detail: expect.stringContaining('state'),
      })
      const badSince = await list('?since=yesterday')
      expect(badSince.statusCode).toBe(422)
      expect(badSince.json().errors[0].loc).toEqual(['querystring', 'since'])
    })

    it('refuses the list and the actions to a caller without CAN_MANAGE_USERS', async () => {
      const viewer = await createViewer(s.t.deps)
      const headers = bearer(await tokenFor(s.t.deps, viewer))
      expect((await list('', headers)).statusCode).toBe(403)
      expect((await operate(randomUUID(), 'retry', headers)).statusCode).toBe(403)
      expect((await operate(randomUUID(), 'abandon', headers)).statusCode).toBe(403)
      expect((await list('', {})).statusCode).toBe(401)
    })

    it('retries a needs_attention registration to rolled_back once the fault clears, with the caller as actor', async () => {
      const email = uniqueEmail('retry')
      const id = await needsAttention(email)
      s.idp.heal()
      const response = await operate(id, 'retry')
      expect(response.statusCode).toBe(200)
      const body = response.json()
      expect(body).toMatchObject({ advanced: true, queued: false })
      expect(body.registration).toMatchObject({ registration_id: id, state: 'rolled_back' })
      const actors = body.registration.events.slice(-2).map((e: { actor: string }) => e.actor)
      expect(actors).toEqual([s.admin.id, s.admin.id])
      expect(body.registration.events.at(-1)).toMatchObject({ from: 'compensating', to: 'rolled_back' })
      expect((await footprintOf(database(), email)).identities).toEqual([])
    })

    it('abandons an identity_created registration and rolls it back', async () => {
      const email = uniqueEmail('abandon')
      await injectDatabaseFault(database(), 'user_role', '40001', 5)
      const { status, id } = await register(email)
      await clearDatabaseFaults(database())
      expect(status).toBe(202)
      expect((await registrationById(database(), id)).state).toBe('identity_created')
      const response = await operate(id, 'abandon')
      expect(response.statusCode).toBe(200)
      expect(response.json().registration.state).toBe('rolled_back')
      expect(response.json().registration.events.at(-1).actor).toBe(s.admin.id)
    })

    it('answers 409 registration.settling with Retry-After while a create attempt may still land', async () => {
      s.idp.fail('createUser', unavailable)
      const { status, id } = await register(uniqueEmail('settle'))
      expect(status).toBe(202)
      const response = await operate(id, 'abandon')
      expect(response.statusCode).toBe(409)
      expect(response.json()).toMatchObject({ code: 'registration.settling', registrationId: id })
      const retryAfter = Number(response.headers['retry-after'])
      expect(retryAfter).toBeGreaterThan(0)
      expect(retryAfter).toBeLessThanOrEqual(ABANDON_SETTLE_SECONDS)
      expect(response.json().retryAfterSeconds).toBe(retryAfter)
      expect((await registrationById(database(), id)).state).toBe('pending')
    })

    it('answers 409 for a final registration, 404 for an unknown one and 422 for a malformed id', async () => {
      const { id } = await register(uniqueEmail('final'))
      const final = await operate(id, 'retry')
      expect(final.statusCode).toBe(409)
      expect(final.json()).toMatchObject({ code: 'registration.not_workable', state: 'completed' })
      expect((await operate(id, 'abandon')).json().code).toBe('registration.not_workable')
      const unknown = await operate(randomUUID(), 'abandon')
      expect(unknown.statusCode).toBe(404)
      expect(unknown.json().code).toBe('registration.not_found')
      expect((await operate('not-a-uuid', 'retry')).statusCode).toBe(422)
    })
  })
})
