import { type SQL, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import {
  ADMIN_ROLE_ID,
  RESEARCHER_ROLE_ID,
  TRUST_ADMIN_ROLE_ID,
  VIEWER_ROLE_ID,
} from '../../src/domain/roles.js'
import { advanceRegistration } from '../../src/features/register-user/register-user.saga.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import { createTrustsRepository } from '../../src/repositories/trusts-repository.js'
import { registrationById } from '../register-user/saga-assertions.js'
import { injectDatabaseFault } from '../support/database-faults.js'
import { bearer, createViewer, tokenFor, uniqueEmail } from '../support/factories.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { rowsOf } from '../support/sql-rows.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

describe.each(databaseTargets())('POST /api/users on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)

    const s = useScriptedTestApp(database, { faults: true })

    const rows = <T>(query: SQL) => rowsOf<T>(database(), query)

    /** Everything a registration of `email` can leave behind. */
    const footprintOf = async (email: string) => {
      const identities = await rows<{ id: string }>(
        sql`SELECT id FROM local_identity WHERE email_normalised = ${email.toLowerCase()}`,
      )
      const ids = identities.map((identity) => identity.id)
      const inList =
        ids.length === 0
          ? sql`(NULL)`
          : sql`(${sql.join(
              ids.map((id) => sql`${id}::uuid`),
              sql`, `,
            )})`
      return {
        identities: ids,
        profiles: await rows<{ name: string; organisation: string }>(
          sql`SELECT name, organisation FROM user_profile WHERE user_id IN ${inList}`,
        ),
        audit: await rows<{ action: string; modified_by_user_id: string }>(
          sql`SELECT action, modified_by_user_id FROM users_audit WHERE user_id IN ${inList} ORDER BY timestamp`,
        ),
        grants: await rows<{ role_id: string }>(
          sql`SELECT role_id FROM user_role WHERE user_id IN ${inList}`,
        ),
      }
    }
    const nothingWritten = { identities: [], profiles: [], audit: [], grants: [] }

    const body = (email: string, roles: string[] = [RESEARCHER_ROLE_ID]) => ({
      email,
      name: 'User One',
      organisation: 'Example Org',
      roles,
    })
    const post = (payload: object, as: Record<string, string> = s.headers, url = '/api/users') =>
      s.t.app.inject({ method: 'POST', url, headers: as, payload })

    it('creates the IdP user, its profile and the audit row, and answers 200 with camelCase keys', async () => {
      const email = uniqueEmail('new')
      const response = await post(body(email, [RESEARCHER_ROLE_ID, VIEWER_ROLE_ID]))
      expect(response.statusCode).toBe(200)
      const created = response.json()
      expect(created).toEqual({
        email,
        name: 'User One',
        organisation: 'Example Org',
        roles: [RESEARCHER_ROLE_ID, VIEWER_ROLE_ID],
        trustId: null,
        userId: expect.any(String),
      })
      expect(await footprintOf(email)).toEqual({
        identities: [created.userId],
        profiles: [{ name: 'User One', organisation: 'Example Org' }],
        audit: [{ action: 'Registered user', modified_by_user_id: s.admin.id }],
        grants: [],
      })
      expect(s.idp.calls.createUser).toBe(1)
      expect(s.idp.calls.deleteUser).toBe(0)
    })

    it('also answers on the older path with a trailing slash', async () => {
      const email = uniqueEmail('slash')
      const response = await post(body(email), s.headers, '/api/users/')
      expect(response.statusCode).toBe(200)
      expect((await footprintOf(email)).identities).toEqual([response.json().userId])
    })

    it('echoes the trust of a Trust Admin, given as trustId or trust_id, and grants nothing yet', async () => {
      const trust = await createTrustsRepository(database().db).insert({ name: 'North Trust' })
      const email = uniqueEmail('trust-admin')
      const response = await post({ ...body(email, [TRUST_ADMIN_ROLE_ID]), trust_id: trust.id })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toMatchObject({ roles: [TRUST_ADMIN_ROLE_ID], trustId: trust.id })
      expect((await footprintOf(email)).grants).toEqual([])
    })

    it('refuses a caller without CAN_MANAGE_USERS with 403 before any IdP call', async () => {
      const viewer = await createViewer(s.t.deps)
      s.idp.resetCalls()
      const email = uniqueEmail()
      const response = await post(body(email), bearer(await tokenFor(s.t.deps, viewer)))
      expect(response.statusCode).toBe(403)
      expect(response.json().detail).toBe(`User with ID: ${viewer.id} was unable to register a user`)
      expect(s.idp.calls).toMatchObject({ createUser: 0, getUserById: 0, deleteUser: 0 })
      expect(await footprintOf(email)).toEqual(nothingWritten)
    })

    it('refuses unknown roles with 400 before the IdP is called, writing nothing', async () => {
      const email = uniqueEmail()
      const unknown = '5e87c5a2-9a3e-4f0b-8c1d-2e3f4a5b6c7d'
      const response = await post(body(email, [ADMIN_ROLE_ID, unknown]))
      expect(response.statusCode).toBe(400)
      expect(response.json().detail).toBe(`Invalid role(s): [UUID('${unknown}')]`)
      expect(s.idp.calls.createUser).toBe(0)
      expect(await footprintOf(email)).toEqual(nothingWritten)
    })

    it.each([
      [
        'a Trust Admin without a trust',
        [TRUST_ADMIN_ROLE_ID],
        undefined,
        400,
        'Choose the trust a Trust Admin administers.',
      ],
      [
        'a Trust Admin with another role',
        [TRUST_ADMIN_ROLE_ID, VIEWER_ROLE_ID],
        'trust',
        400,
        "Trust Admin is a user's only role.",
      ],
      [
        'a trust with another role',
        [VIEWER_ROLE_ID],
        'trust',
        400,
        'Only the Trust Admin role is held at a trust.',
      ],
      ['a Trust Admin at an unknown trust', [TRUST_ADMIN_ROLE_ID], 'unknown', 404, 'Trust {trust} not found'],
    ])('refuses %s before the IdP is called', async (_, roles, trustKind, status, detail) => {
      const trustId =
        trustKind === 'trust'
          ? (await createTrustsRepository(database().db).insert({ name: 'T' })).id
          : trustKind === 'unknown'
            ? '0b7e4c1a-3f2d-4e5a-9b8c-7d6e5f4a3b2c'
            : undefined
      const email = uniqueEmail()
      const response = await post({ ...body(email, roles), ...(trustId ? { trustId } : {}) })
      expect(response.statusCode).toBe(status)
      expect(response.json().detail).toBe(detail.replace('{trust}', trustId ?? ''))
      expect(s.idp.calls.createUser).toBe(0)
      expect(await footprintOf(email)).toEqual(nothingWritten)
    })

    it('answers 409 for an email the IdP already holds and writes nothing more', async () => {
      const email = uniqueEmail('taken')
      expect((await post(body(email))).statusCode).toBe(200)
      const response = await post(body(email))
      expect(response.statusCode).toBe(409)
      expect(response.json().detail).toBe(`User with email ${email} already exists`)
      const footprint = await footprintOf(email)
      expect(footprint.identities).toHaveLength(1)
      expect(footprint.audit).toHaveLength(1)
      expect(s.idp.calls.deleteUser).toBe(0)
    })

    it.each([
      ['InvalidInput', 400, 'Invalid email address format'],
      ['Unavailable', 503, 'The identity provider is unavailable; please try again.'],
      ['Ambiguous', 503, 'The identity provider did not confirm the change; please verify and retry.'],
      ['ProviderError', 500, 'Failed to create user'],
    ] as const)('maps an IdP %s on create to %i, writing nothing', async (reason, status, detail) => {
      s.idp.fail('createUser', () => new IdentityProviderError(reason, 'provider said something'))
      const email = uniqueEmail()
      const response = await post(body(email))
      expect(response.statusCode).toBe(status)
      expect(response.json().detail).toBe(detail)
      expect(response.body).not.toContain('provider said something')
      expect(s.idp.calls.deleteUser).toBe(0)
      expect(await footprintOf(email)).toEqual(nothingWritten)
    })

    it('answers 429 with Retry-After when the IdP throttles the create', async () => {
      s.idp.fail(
        'createUser',
        () => new IdentityProviderError('Throttled', 'slow down', { retryAfterMs: 2500 }),
      )
      const email = uniqueEmail()
      const response = await post(body(email))
      expect(response.statusCode).toBe(429)
      // The record keeps the error, not the provider's delay: a second, the pacing's least wait.
      expect(response.headers['retry-after']).toBe('1')
      expect(await footprintOf(email)).toEqual(nothingWritten)
    })

    it('answers a generic 500 for an unexpected exception, without its text', async () => {
      s.idp.fail('createUser', () => new Error('secret stack detail at db-host-7'))
      const email = uniqueEmail()
      const response = await post(body(email))
      expect(response.statusCode).toBe(500)
      expect(response.json().detail).toBe('Internal server error')
      expect(response.body).not.toContain('secret')
      expect(s.idp.calls.deleteUser).toBe(0)
      expect(await footprintOf(email)).toEqual(nothingWritten)
    })

    it('deletes the IdP user again when the profile cannot be written, and asks to try again', async () => {
      await injectDatabaseFault(database(), 'user_profile', 'P0001', 1)
      const email = uniqueEmail('db-fault')
      const response = await post(body(email))
      expect(response.statusCode).toBe(500)
      expect(response.json().detail).toBe('Failed to register user. Please try again.')
      expect(response.body).not.toContain('injected fault')
      expect(s.idp.calls).toMatchObject({ createUser: 1, deleteUser: 1 })
      expect(await footprintOf(email)).toEqual(nothingWritten)
    })

    it('asks for manual cleanup when the IdP rollback fails too, and never says try again', async () => {
      await injectDatabaseFault(database(), 'user_profile', 'P0001', 1)
      s.idp.fail('deleteUser', () => new IdentityProviderError('ProviderError', 'Failed to delete user'))
      const email = uniqueEmail('double-fault')
      const response = await post(body(email))
      expect(response.statusCode).toBe(500)
      const { detail } = response.json()
      expect(detail).toBe(
        'Failed to register user; rollback also failed. Manual cleanup of the identity-provider user required.',
      )
      expect(detail.toLowerCase()).not.toContain('please try again')
      expect(response.body).not.toContain('injected fault')
      expect(s.idp.calls.deleteUser).toBe(1)
      const footprint = await footprintOf(email)
      expect(footprint.identities).toHaveLength(1)
      // Compensation's database half ran ("Deleted user"); its IdP half is retried in the background.
      expect(footprint.audit.map((row) => row.action)).toEqual(['Deleted user'])
      expect(footprint).toMatchObject({ profiles: [], grants: [] })
      const recordId = response.json().registrationId as string
      expect(response.headers.location).toBe(`/api/step/users/${recordId}`)
      s.idp.heal()
      await advanceRegistration(s.t.deps, s.t.deps.saga, recordId, 'worker')
      expect((await registrationById(database(), recordId)).state).toBe('rolled_back')
      expect((await footprintOf(email)).identities).toEqual([])
    })

    it('finishes in the background what a lost database left after the IdP create', async () => {
      // Every attempt inline meets a transient failure: the IdP user exists, the profile waits.
      await injectDatabaseFault(database(), 'user_profile', '08006', 3)
      const email = uniqueEmail('db-lost')
      const response = await post(body(email))
      expect(response.statusCode).toBe(503)
      const recordId = response.json().registrationId as string
      expect(response.headers.location).toBe(`/api/step/users/${recordId}`)
      expect(response.json()).toMatchObject({
        code: 'database.unavailable',
        state: 'identity_created',
        retryable: true,
      })
      const again = await post(body(email))
      expect(again.statusCode).toBe(409)
      expect(again.headers.location).toBe(`/api/step/users/${recordId}`)
      await advanceRegistration(s.t.deps, s.t.deps.saga, recordId, 'worker')
      expect(await registrationById(database(), recordId)).toMatchObject({
        kind: 'identity',
        state: 'completed',
      })
      const footprint = await footprintOf(email)
      expect(footprint.identities).toHaveLength(1)
      expect(footprint.audit.map((row) => row.action)).toEqual(['Registered user'])
      expect(footprint).toMatchObject({ grants: [] })
      expect(footprint.profiles).toHaveLength(1)
      expect(s.idp.calls.createUser).toBe(1)
    })

    it('rejects unknown body fields and bad values with 422, listing every problem', async () => {
      const email = uniqueEmail()
      const response = await post({ ...body(email, ['not-a-uuid']), nickname: 'x', name: '' })
      expect(response.statusCode).toBe(422)
      const { errors } = response.json()
      expect(errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ loc: ['body', 'nickname'], type: 'extra_forbidden' }),
          expect.objectContaining({ loc: ['body', 'name'] }),
          expect.objectContaining({ loc: ['body', 'roles', 0] }),
        ]),
      )
      expect(s.idp.calls.createUser).toBe(0)
      expect(await footprintOf(email)).toEqual(nothingWritten)
    })

    it('rejects an email that is not one with 422', async () => {
      const response = await post(body('not-an-email'))
      expect(response.statusCode).toBe(422)
      expect(s.idp.calls.createUser).toBe(0)
    })
  })
})
