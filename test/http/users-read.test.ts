import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { RESEARCHER_ROLE_ID, TRUST_ADMIN_ROLE_ID, VIEWER_ROLE_ID } from '../../src/domain/roles.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import { createProfilesRepository } from '../../src/repositories/profiles-repository.js'
import { createTrustsRepository } from '../../src/repositories/trusts-repository.js'
import { createUserRolesRepository } from '../../src/repositories/user-roles-repository.js'
import { bearer, createUser, createViewer, tokenFor } from '../support/factories.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

describe.each(databaseTargets())('reading users on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    const s = useScriptedTestApp(database)
    const get = (url: string, headers: Record<string, string> = s.headers) =>
      s.t.app.inject({ method: 'GET', url, headers })
    const headersOf = async (user: Parameters<typeof tokenFor>[1]) => bearer(await tokenFor(s.t.deps, user))
    const profile = (userId: string, name: string, organisation: string) =>
      createProfilesRepository(database().db).upsert({ userId, name, organisation })

    describe('GET /api/users', () => {
      it('pages 45 users by 20 with the real total: 3 pages, totalRecords 45', async () => {
        for (let i = 0; i < 44; i++)
          await createUser(s.t.deps, [VIEWER_ROLE_ID], `u${String(i).padStart(2, '0')}@list.example.org`)
        const first = (await get('/api/users?pageNumber=1&pageSize=20')).json()
        expect(first).toMatchObject({ page: 1, pageSize: 20, totalPages: 3, totalRecords: 45 })
        expect(first.data).toHaveLength(20)
        const third = (await get('/api/users?pageNumber=3&pageSize=20')).json()
        expect(third.data).toHaveLength(5)
        const emails = [...first.data, ...third.data].map((user: { email: string }) => user.email)
        expect(emails).toEqual([...emails].sort())
        expect(first.data[0]).toMatchObject({
          email: s.admin.email,
          roles: [{ rolename: 'Admin' }],
          trustAdminOf: null,
          isDisabled: false,
        })
      })

      it('narrows by a case-insensitive search over email, name and organisation', async () => {
        const a = await createUser(s.t.deps, [VIEWER_ROLE_ID], 'alice@search.example.org')
        const b = await createUser(s.t.deps, [VIEWER_ROLE_ID], 'bob@search.example.org')
        const c = await createUser(s.t.deps, [VIEWER_ROLE_ID], 'carol@search.example.org')
        await profile(b.id, 'Robert Smith', 'Guy’s Hospital')
        await profile(c.id, 'Carol', "King's College LONDON")
        const ids = async (search: string) =>
          (await get(`/api/users?search=${encodeURIComponent(search)}`))
            .json()
            .data.map((user: { id: string }) => user.id)
        expect(await ids('ALICE')).toEqual([a.id])
        expect(await ids('smith')).toEqual([b.id])
        expect(await ids('college london')).toEqual([c.id])
        expect(await ids('search.example')).toEqual([a.id, b.id, c.id])
        expect(await ids('%')).toEqual([])
        const body = (await get('/api/users?search=smith')).json()
        expect(body).toMatchObject({ totalRecords: 1, totalPages: 1 })
        expect(body.data[0]).toMatchObject({ name: 'Robert Smith', organisation: 'Guy’s Hospital' })
      })

      it.each([
        ['pageNumber=0&pageSize=-3', 1, 20],
        ['pageNumber=abc&pageSize=x', 1, 20],
        ['pageNumber=2.5&pageSize=', 1, 20],
        ['', 1, 20],
      ])('falls back to page 1 of 20 for %s', async (query, page, pageSize) => {
        const response = await get(`/api/users?${query}`)
        expect(response.statusCode).toBe(200)
        expect(response.json()).toMatchObject({ page, pageSize, totalRecords: 1 })
      })

      it('shows a Trust Admin with only the Trust Admin role and the trust it administers', async () => {
        const trust = await createTrustsRepository(database().db).insert({ name: 'North Trust', code: 'NT' })
        const user = await createUser(s.t.deps, [RESEARCHER_ROLE_ID])
        await createUserRolesRepository(database().db).replaceTrustAdmin(
          user.id,
          TRUST_ADMIN_ROLE_ID,
          trust.id,
        )
        const body = (await get(`/api/users?search=${encodeURIComponent(user.email)}`)).json()
        expect(body.data[0]).toMatchObject({
          roles: [{ id: TRUST_ADMIN_ROLE_ID, rolename: 'Trust Admin' }],
          trustAdminOf: { id: trust.id, code: 'NT', name: 'North Trust' },
        })
      })

      it('refuses a caller without CAN_MANAGE_USERS with 403 before any IdP call', async () => {
        const viewer = await createViewer(s.t.deps)
        s.idp.resetCalls()
        const response = await get('/api/users', await headersOf(viewer))
        expect(response.statusCode).toBe(403)
        expect(response.json().detail).toBe(`User with ID: ${viewer.id} was unable to manage users`)
        expect(s.idp.calls.listUsers).toBe(0)
      })

      it('answers 503 when the IdP is unavailable and 500 without the cause for a provider error', async () => {
        s.idp.fail(
          'listUsers',
          () => new IdentityProviderError('Unavailable', 'down', { cause: new Error('x') }),
        )
        expect((await get('/api/users')).statusCode).toBe(503)
        s.idp.fail('listUsers', () => new Error('provider down at 10.0.0.1'))
        const response = await get('/api/users')
        expect(response.statusCode).toBe(500)
        expect(response.json().detail).toBe('Internal server error')
      })

      it('rejects an oversized search with 422', async () => {
        const response = await get(`/api/users?search=${'x'.repeat(256)}`)
        expect(response.statusCode).toBe(422)
        expect(response.json().detail).toContain('search')
      })
    })

    describe('GET /api/users/me', () => {
      it('returns the caller merged with the profile, with no permission needed', async () => {
        const viewer = await createViewer(s.t.deps)
        await profile(viewer.id, 'Dr Test User', "King's College London")
        const response = await get('/api/users/me', await headersOf(viewer))
        expect(response.statusCode).toBe(200)
        expect(response.json()).toEqual({
          id: viewer.id,
          email: viewer.email,
          name: 'Dr Test User',
          organisation: "King's College London",
          isDisabled: false,
        })
      })

      // FLIP answers 404 here; an account that no longer exists has no authority (SPEC §3), so the
      // token is refused before any route runs.
      it('is 401 when the token subject has no identity record', async () => {
        const ghost = {
          ...s.admin,
          id: randomUUID(),
          email: 'ghost@example.org',
          username: 'ghost@example.org',
        }
        const response = await get('/api/users/me', await headersOf(ghost))
        expect(response.statusCode).toBe(401)
        expect(response.json().detail).toBe('Could not validate credentials')
      })
    })

    describe('GET /api/users/lookup', () => {
      it('returns only id, email and isDisabled to a Researcher', async () => {
        const researcher = await createUser(s.t.deps, [RESEARCHER_ROLE_ID])
        const member = await createViewer(s.t.deps)
        await profile(member.id, 'Hidden Name', 'Hidden Org')
        await s.t.deps.idp.setEnabled(member.username, false)
        const response = await get(`/api/users/lookup?email=${member.email}`, await headersOf(researcher))
        expect(response.statusCode).toBe(200)
        expect(response.json()).toEqual({ id: member.id, email: member.email, isDisabled: true })
      })

      it('answers an unknown address with a generic 404 that does not echo it', async () => {
        const response = await get('/api/users/lookup?email=nobody.here@example.org')
        expect(response.statusCode).toBe(404)
        expect(response.json().detail).toBe('User not found.')
        expect(response.body).not.toContain('nobody.here')
      })

      it('refuses a Viewer with FLIP’s detail before any IdP call', async () => {
        const viewer = await createViewer(s.t.deps)
        s.idp.resetCalls()
        const response = await get('/api/users/lookup?email=a@b.com', await headersOf(viewer))
        expect(response.statusCode).toBe(403)
        expect(response.json().detail).toBe('User is not permitted to look up project members.')
        expect(s.idp.calls.getUserByEmail).toBe(0)
      })

      it.each([
        '/api/users/lookup',
        '/api/users/lookup?email=not-an-email',
        `/api/users/lookup?email=${'a'.repeat(320)}@example.org`,
      ])('rejects %s with 422 and no IdP call', async (url) => {
        const response = await get(url)
        expect(response.statusCode).toBe(422)
        expect(response.body).not.toContain('Invalid user ID format')
        expect(s.idp.calls.getUserByEmail).toBe(0)
      })

      it('keeps a provider failure a failure, not a missing user', async () => {
        s.idp.fail('getUserByEmail', () => new IdentityProviderError('ProviderError', 'Failed to get user'))
        const response = await get('/api/users/lookup?email=a@b.com')
        expect(response.statusCode).toBe(500)
        expect(response.json().detail).toBe('Failed to get user')
      })
    })

    describe('GET /api/users/{userId}', () => {
      it('returns one user with roles and profile; isDisabled in camelCase', async () => {
        const user = await createUser(s.t.deps, [RESEARCHER_ROLE_ID])
        await profile(user.id, 'Ann', 'Org')
        await s.t.deps.idp.setEnabled(user.username, false)
        const response = await get(`/api/users/${user.id}`)
        expect(response.statusCode).toBe(200)
        expect(response.json()).toEqual({
          id: user.id,
          email: user.email,
          name: 'Ann',
          organisation: 'Org',
          isDisabled: true,
          roles: [{ id: RESEARCHER_ROLE_ID, rolename: 'Researcher', roledescription: expect.any(String) }],
          trustAdminOf: null,
        })
      })

      it.each(['not-an-email-or-uuid', 'someone@example.com'])(
        'rejects %s with 422 "valid UUID"',
        async (id) => {
          const viewer = await createViewer(s.t.deps)
          const response = await get(`/api/users/${id}`, await headersOf(viewer))
          expect(response.statusCode).toBe(422)
          expect(response.body).toContain('uuid')
        },
      )

      it('is 404 "is not registered" for an unknown id', async () => {
        const response = await get(`/api/users/${randomUUID()}`)
        expect(response.statusCode).toBe(404)
        expect(response.json().detail).toContain('is not registered')
      })

      it('refuses a caller without CAN_MANAGE_USERS even for their own id, before any IdP call', async () => {
        const viewer = await createViewer(s.t.deps)
        s.idp.resetCalls()
        for (const id of [viewer.id, randomUUID()]) {
          const response = await get(`/api/users/${id}`, await headersOf(viewer))
          expect(response.statusCode).toBe(403)
          expect(response.json().detail).toBe(`User with ID: ${viewer.id} was unable to manage users`)
        }
        expect(s.idp.calls.getUserById).toBe(0)
      })

      it('answers 500 "Internal server error" without the cause for an unexpected failure', async () => {
        s.idp.fail('getUserById', () => new Error('secret 10.0.0.1'))
        const response = await get(`/api/users/${randomUUID()}`)
        expect(response.statusCode).toBe(500)
        expect(response.json().detail).toBe('Internal server error')
        expect(response.body).not.toContain('secret')
      })

      it('routes /me and /lookup to their own handlers, not the catch-all', async () => {
        const viewer = await createViewer(s.t.deps)
        const headers = await headersOf(viewer)
        expect((await get('/api/users/me', headers)).statusCode).toBe(200)
        expect((await get('/api/users/lookup?email=a@b.com', headers)).json().detail).toBe(
          'User is not permitted to look up project members.',
        )
      })
    })
  })
})
