import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { ADMIN_ROLE_ID, RESEARCHER_ROLE_ID, VIEWER_ROLE_ID } from '../../src/domain/roles.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import { bearer, createViewer, tokenFor, uniqueEmail } from '../support/factories.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { rowsOf } from '../support/sql-rows.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'
import { footprintOf, registrationById, transitionsOf } from './saga-assertions.js'

describe.each(databaseTargets())('POST /api/step/users on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)

    const s = useScriptedTestApp(database)

    const body = (email: string, roles: string[] = [RESEARCHER_ROLE_ID]) => ({
      email,
      name: 'Test User',
      organisation: 'Example Org',
      roles,
    })
    const post = (payload: unknown, extraHeaders: Record<string, string> = {}) =>
      s.t.app.inject({
        method: 'POST',
        url: '/api/step/users',
        headers: { ...s.headers, ...extraHeaders },
        payload: payload as object,
      })

    it('creates the IdP user, grants the roles and answers 201 with FLIP snake_case keys', async () => {
      const email = uniqueEmail('new')
      const response = await post(body(email, [RESEARCHER_ROLE_ID, VIEWER_ROLE_ID]))
      expect(response.statusCode).toBe(201)
      const created = response.json()
      expect(created).toEqual({
        user_id: expect.any(String),
        email,
        name: 'Test User',
        organisation: 'Example Org',
        roles: [RESEARCHER_ROLE_ID, VIEWER_ROLE_ID],
        trust_id: null,
        registration_id: expect.any(String),
      })
      const footprint = await footprintOf(database(), email)
      expect(footprint.registrations[0]!.id).toBe(created.registration_id)
      expect(footprint.identities).toEqual([created.user_id])
      expect(footprint.grants.sort()).toEqual([RESEARCHER_ROLE_ID, VIEWER_ROLE_ID].sort())
      expect(footprint.profiles).toBe(1)
      expect(footprint.audit).toEqual(['Registered user', 'Updated user roles'])
      expect(footprint.registrations).toMatchObject([{ state: 'completed', user_id: created.user_id }])
      expect(await transitionsOf(database(), footprint.registrations[0]!.id)).toEqual([
        '∅→pending',
        'pending→identity_created',
        'identity_created→completed',
      ])
    })

    it('gives the IdP the email as written and normalises it only for uniqueness', async () => {
      const email = `Mixed.Case.${Date.now()}@Example.org`
      const response = await post(body(email))
      expect(response.statusCode).toBe(201)
      const [identity] = (await footprintOf(database(), email)).identities
      expect((await s.t.deps.idp.getUserById(identity!)).email).toBe(email)
      const again = await post(body(email.toLowerCase()))
      expect(again.statusCode).toBe(409)
      expect(again.json().detail).toBe(`User with email ${email.toLowerCase()} already exists`)
    })

    it('refuses unknown roles with 400 before anything is written', async () => {
      const email = uniqueEmail()
      const unknown = '5e87c5a2-9a3e-4f0b-8c1d-2e3f4a5b6c7d'
      const response = await post(body(email, [ADMIN_ROLE_ID, unknown]))
      expect(response.statusCode).toBe(400)
      expect(response.json().detail).toBe(`Invalid role(s): [UUID('${unknown}')]`)
      expect(s.idp.calls.createUser).toBe(0)
      expect(await footprintOf(database(), email)).toMatchObject({ identities: [], registrations: [] })
    })

    it('refuses a caller without CAN_MANAGE_USERS before any IdP call', async () => {
      const viewer = await createViewer(s.t.deps)
      const before = s.idp.calls.createUser
      const response = await post(body(uniqueEmail()), bearer(await tokenFor(s.t.deps, viewer)))
      expect(response.statusCode).toBe(403)
      expect(response.json().detail).toBe(`User with ID: ${viewer.id} was unable to register a user`)
      expect(s.idp.calls.createUser).toBe(before)
    })

    it('answers 409 for an email that already has an IdP user and creates no second one', async () => {
      const email = uniqueEmail('taken')
      expect((await post(body(email))).statusCode).toBe(201)
      const response = await post(body(email))
      expect(response.statusCode).toBe(409)
      expect(response.json()).toMatchObject({
        detail: `User with email ${email} already exists`,
        state: 'failed',
        retryable: false,
      })
      expect((await footprintOf(database(), email)).identities).toHaveLength(1)
    })

    it('replays the same registration for the same Idempotency-Key and body', async () => {
      const email = uniqueEmail('idem')
      const first = await post(body(email), { 'idempotency-key': 'key-1' })
      const second = await post(body(email), { 'idempotency-key': 'key-1' })
      expect(first.statusCode).toBe(201)
      expect(second.statusCode).toBe(201)
      expect(second.json()).toEqual(first.json())
      expect(s.idp.calls.createUser).toBe(1)
      expect((await footprintOf(database(), email)).registrations).toHaveLength(1)
    })

    it('replays a failure as the same failure', async () => {
      const email = uniqueEmail('idem-fail')
      s.idp.fail('createUser', () => new Error('boom'), { times: 1 })
      const first = await post(body(email), { 'idempotency-key': 'key-f' })
      const second = await post(body(email), { 'idempotency-key': 'key-f' })
      expect(first.statusCode).toBe(500)
      expect(second.statusCode).toBe(500)
      expect(second.json().detail).toBe('Failed to register user')
      expect(s.idp.calls.createUser).toBe(1)
    })

    it('refuses an Idempotency-Key reused with a different body with 422', async () => {
      const email = uniqueEmail('idem2')
      expect((await post(body(email), { 'idempotency-key': 'key-2' })).statusCode).toBe(201)
      const response = await post({ ...body(email), name: 'Someone Else' }, { 'idempotency-key': 'key-2' })
      expect(response.statusCode).toBe(422)
      expect(response.json().detail).toMatch(/Idempotency-Key/)
    })

    it('answers 409 with a Location for an email whose registration is still in flight', async () => {
      const email = uniqueEmail('inflight')
      s.idp.fail('createUser', () => new IdentityProviderError('Unavailable', 'down'))
      const first = await post(body(email))
      expect(first.statusCode).toBe(202)
      const second = await post(body(email))
      expect(second.statusCode).toBe(409)
      expect(second.headers.location).toBe(first.headers.location)
      expect(second.json().registrationId).toBe(first.json().registration_id)
    })

    it('creates exactly one IdP user from 20 concurrent registrations of one email', async () => {
      const email = uniqueEmail('race')
      const responses = await Promise.all(Array.from({ length: 20 }, () => post(body(email))))
      const statuses = responses.map((response) => response.statusCode).sort()
      expect(statuses.filter((status) => status === 201)).toHaveLength(1)
      expect(statuses.filter((status) => status === 409)).toHaveLength(19)
      expect((await footprintOf(database(), email)).identities).toHaveLength(1)
    })

    it('shows a registration with its history at GET /api/step/users/{id}', async () => {
      const email = uniqueEmail('show')
      s.idp.fail('createUser', () => new IdentityProviderError('Unavailable', 'down'))
      const accepted = await post(body(email))
      expect(accepted.statusCode).toBe(202)
      expect(accepted.json()).toMatchObject({ state: 'pending', user_id: null, email })
      const response = await s.t.app.inject({ url: accepted.headers.location as string, headers: s.headers })
      expect(response.statusCode).toBe(200)
      const view = response.json()
      expect(view).toMatchObject({
        registration_id: accepted.json().registration_id,
        state: 'pending',
        attempts: 3,
      })
      expect(view.last_error).toMatch(/Unavailable/)
      expect(view.events[0]).toMatchObject({
        from: null,
        to: 'pending',
        actor: s.admin.id,
        reason: 'registration requested',
      })
      const registration = await registrationById(database(), view.registration_id)
      expect(registration.createAttemptedAt).not.toBeNull()
    })

    it('answers 404 for an unknown registration and 422 for a malformed id', async () => {
      const unknown = await s.t.app.inject({
        url: '/api/step/users/4c9769ed-a939-4c73-b320-139f574368c3',
        headers: s.headers,
      })
      expect(unknown.statusCode).toBe(404)
      const malformed = await s.t.app.inject({ url: '/api/step/users/not-a-uuid', headers: s.headers })
      expect(malformed.statusCode).toBe(422)
    })

    it.each([
      ['an empty body', undefined, 'application/json'],
      ['missing fields', { email: 'a@b.org' }, 'application/json'],
      ['wrong types', { email: 1, name: 2, organisation: [], roles: 'x' }, 'application/json'],
      ['an extra field', { ...body('extra@b.org'), isAdmin: true }, 'application/json'],
      ['a 10 kB name', { ...body('long@b.org'), name: 'x'.repeat(10_000) }, 'application/json'],
      ['an invalid email', body('not-an-email'), 'application/json'],
      ['non-UUID roles', body('roles@b.org', ['admin']), 'application/json'],
      ['an empty name', { ...body('empty@b.org'), name: '' }, 'application/json'],
      ['a wrong content type', 'email=a@b.org', 'application/x-www-form-urlencoded'],
    ])('answers %s with a 4xx and a detail, and writes nothing', async (_label, payload, contentType) => {
      const before = s.idp.calls.createUser
      const response = await s.t.app.inject({
        method: 'POST',
        url: '/api/step/users',
        headers: { ...s.headers, 'content-type': contentType },
        ...(payload === undefined
          ? {}
          : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
      })
      expect(response.statusCode).toBeGreaterThanOrEqual(400)
      expect(response.statusCode).toBeLessThan(500)
      expect(typeof response.json().detail).toBe('string')
      expect(s.idp.calls.createUser).toBe(before)
      const [written] = await rowsOf<{ n: number }>(
        database(),
        sql`SELECT count(*)::int AS n FROM registration`,
      )
      expect(written!.n).toBe(0)
    })
    it('forgets the cached role ids once a grant names a role removed by hand', async () => {
      // A role of the test's own, known to the cache once a registration granted it.
      const [{ id: roleId }] = (await rowsOf<{ id: string }>(
        database(),
        sql`SELECT gen_random_uuid()::text AS id`,
      )) as [{ id: string }]
      await database().db.execute(
        sql`INSERT INTO roles (id, name, description) VALUES (${roleId}, ${`hand-made ${roleId}`}, 'test')`,
      )
      expect((await post(body(uniqueEmail('role-a'), [roleId]))).statusCode).toBe(201)
      await database().db.execute(sql`DELETE FROM user_role WHERE role_id = ${roleId}`)
      await database().db.execute(sql`DELETE FROM roles WHERE id = ${roleId}`)

      // Still cached: the grant's foreign key refuses it, and the user is removed again.
      const refused = await post(body(uniqueEmail('role-b'), [roleId]))
      expect(refused.statusCode).toBe(500)
      expect(await registrationById(database(), refused.json().registrationId)).toMatchObject({
        state: 'rolled_back',
      })
      // Forgotten: looked up again, and the caller is told the role is invalid before anything.
      const invalid = await post(body(uniqueEmail('role-c'), [roleId]))
      expect(invalid.statusCode).toBe(400)
      expect(invalid.json().detail).toBe(`Invalid role(s): [UUID('${roleId}')]`)
    })
  })
})
