import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { ADMIN_ROLE_ID, RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import type { IdentityUser } from '../../src/identity/identity-provider.js'
import { createUserRolesRepository } from '../../src/repositories/user-roles-repository.js'
import { bearer, createAdmin, tokenFor } from '../support/factories.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { rowsOf } from '../support/sql-rows.js'
import { databaseTargets, truncateMutableTables, useTestDatabase } from '../support/test-database.js'

const concrete = (url: string) => url.replace(/:\w+/g, '6d1da2d7-e510-488c-9085-8608cd817256')

/** SPEC §3: a disabled account has no authority, and the last enabled administrator stays. */
describe.each(databaseTargets())('authority follows the account on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    const s = useScriptedTestApp(database)

    const as = (user: IdentityUser) => tokenFor(s.t.deps, user).then(bearer)
    const put = (userId: string, payload: object, headers = s.headers) =>
      s.t.app.inject({ method: 'PUT', url: `/api/users/${userId}`, headers, payload })
    const setRoles = (userId: string, roles: string[], headers = s.headers) =>
      s.t.app.inject({ method: 'POST', url: `/api/users/${userId}/roles`, headers, payload: { roles } })
    const remove = (userId: string, headers = s.headers) =>
      s.t.app.inject({ method: 'DELETE', url: `/api/users/${userId}`, headers })
    const enabled = async (user: IdentityUser) => (await s.t.deps.idp.getUserById(user.id)).enabled
    const auditOf = async (userId: string) =>
      (
        await rowsOf<{ action: string }>(
          database(),
          sql`SELECT action FROM users_audit WHERE user_id = ${userId} ORDER BY timestamp`,
        )
      ).map((row) => row.action)
    const globalRoles = (userId: string) => createUserRolesRepository(database().db).globalRoleIds(userId)
    const enabledAdmins = async () =>
      (
        await rowsOf<{ user_id: string }>(
          database(),
          sql`SELECT ur.user_id FROM user_role ur JOIN local_identity li ON li.id = ur.user_id
              WHERE ur.role_id = ${ADMIN_ROLE_ID} AND ur.trust_id IS NULL AND li.enabled`,
        )
      ).map((row) => row.user_id)

    describe('a disabled account', () => {
      it('is refused with 403 "User account is disabled." on every authenticated route, though its token is valid', async () => {
        const other = await createAdmin(s.t.deps)
        const headers = await as(other)
        expect((await s.t.app.inject({ url: '/api/roles', headers })).statusCode).toBe(200)
        expect((await put(other.id, { disabled: true })).statusCode).toBe(200)

        const answers: string[] = []
        const routes = s.t.app.routeInventory.filter((route) => !route.public)
        for (const route of routes) {
          const response = await s.t.app.inject({
            method: route.method as 'GET',
            url: concrete(route.url),
            headers,
            payload: {},
          })
          const body = response.json()
          const refused =
            response.statusCode === 403 &&
            body.detail === 'User account is disabled.' &&
            body.code === 'auth.user_disabled' &&
            String(response.headers['content-type']).startsWith('application/problem+json')
          if (!refused) answers.push(`${route.method} ${route.url} → ${response.statusCode} ${body.detail}`)
        }
        expect(answers).toEqual([])
        expect(routes.length).toBeGreaterThanOrEqual(10)
      })

      it('cannot re-enable itself, and gets its authority back at once when another admin re-enables it', async () => {
        const other = await createAdmin(s.t.deps)
        const headers = await as(other)
        expect((await put(other.id, { disabled: true })).statusCode).toBe(200)

        const selfEnable = await put(other.id, { disabled: false }, headers)
        expect(selfEnable.statusCode).toBe(403)
        expect(selfEnable.json()).toMatchObject({ detail: 'User account is disabled.' })
        expect(await enabled(other)).toBe(false)

        expect((await put(other.id, { disabled: false })).statusCode).toBe(200)
        const after = await s.t.app.inject({ url: '/api/users/me', headers })
        expect(after.statusCode).toBe(200)
        expect(after.json()).toMatchObject({ id: other.id })
      })

      it('is signed out at the identity provider when disabled', async () => {
        const other = await createAdmin(s.t.deps)
        expect((await put(other.id, { disabled: true })).statusCode).toBe(200)
        expect(s.idp.calls.setEnabled).toBe(1)
        expect(s.idp.calls.signOut).toBe(1)
      })
    })

    describe('the last administrator', () => {
      const refusedAsLastAdmin = (response: { statusCode: number; json(): unknown }) => {
        expect(response.statusCode).toBe(409)
        expect(response.json()).toMatchObject({
          status: 409,
          detail: 'Cannot remove the last administrator.',
          code: 'user.last_admin',
        })
      }

      it('cannot be deleted: 409, the grants, account and audit untouched, no IdP write', async () => {
        refusedAsLastAdmin(await remove(s.admin.id))
        expect(await globalRoles(s.admin.id)).toEqual([ADMIN_ROLE_ID])
        expect(await enabled(s.admin)).toBe(true)
        expect(await auditOf(s.admin.id)).toEqual([])
        expect(s.idp.calls.deleteUser).toBe(0)
      })

      it('cannot be disabled: 409, still enabled, nothing recorded, no IdP write', async () => {
        refusedAsLastAdmin(await put(s.admin.id, { disabled: true }))
        expect(await enabled(s.admin)).toBe(true)
        expect(await auditOf(s.admin.id)).toEqual([])
        expect(await rowsOf(database(), sql`SELECT * FROM account_status`)).toEqual([])
        expect(s.idp.calls.setEnabled).toBe(0)
        expect((await s.t.app.inject({ url: '/api/roles', headers: s.headers })).statusCode).toBe(200)
      })

      it('cannot lose the global Admin role: 409, grants and audit untouched', async () => {
        refusedAsLastAdmin(await setRoles(s.admin.id, [RESEARCHER_ROLE_ID]))
        refusedAsLastAdmin(await setRoles(s.admin.id, []))
        expect(await globalRoles(s.admin.id)).toEqual([ADMIN_ROLE_ID])
        expect(await auditOf(s.admin.id)).toEqual([])
      })

      it('is the last enabled one even when a disabled admin also holds the role', async () => {
        const dormant = await createAdmin(s.t.deps)
        expect((await put(dormant.id, { disabled: true })).statusCode).toBe(200)
        refusedAsLastAdmin(await setRoles(s.admin.id, [RESEARCHER_ROLE_ID]))
        refusedAsLastAdmin(await put(s.admin.id, { disabled: true }))
        // Removing the disabled holder takes no enabled administrator away.
        expect((await remove(dormant.id)).statusCode).toBe(200)
      })

      it('counts an admin whose disable the IdP definitively refused as enabled again, but not after an unanswered one', async () => {
        const other = await createAdmin(s.t.deps)
        s.idp.fail('setEnabled', () => new IdentityProviderError('ProviderError', 'refused'), { times: 1 })
        expect((await put(other.id, { disabled: true })).statusCode).toBe(500)
        expect(await enabled(other)).toBe(true)
        // The record was put back: `other` still counts, so s.admin may step down.
        expect((await setRoles(s.admin.id, [RESEARCHER_ROLE_ID])).statusCode).toBe(200)

        const headers = await as(other)
        const third = await createAdmin(s.t.deps)
        s.idp.fail('setEnabled', () => new IdentityProviderError('Unavailable', 'timed out'), { times: 1 })
        expect((await put(third.id, { disabled: true }, headers)).statusCode).toBe(503)
        // The IdP may have applied it: the record keeps "disabled", so `other` counts as the last.
        refusedAsLastAdmin(await setRoles(other.id, [RESEARCHER_ROLE_ID], headers))
      })

      it('may go once another enabled administrator remains', async () => {
        const successor = await createAdmin(s.t.deps)
        const headers = await as(successor)
        expect((await setRoles(s.admin.id, [RESEARCHER_ROLE_ID], headers)).statusCode).toBe(200)
        refusedAsLastAdmin(await put(successor.id, { disabled: true }, headers))
        expect((await setRoles(s.admin.id, [ADMIN_ROLE_ID], headers)).statusCode).toBe(200)
        expect((await put(s.admin.id, { disabled: true }, headers)).statusCode).toBe(200)
        expect((await put(s.admin.id, { disabled: false }, headers)).statusCode).toBe(200)
        expect((await remove(s.admin.id, headers)).statusCode).toBe(200)
        expect(await enabledAdmins()).toEqual([successor.id])
      })

      // Two admins, each removing the other at the same moment: the database lets exactly one win.
      it.each([
        [
          'demote',
          (id: string, headers: Record<string, string>) => setRoles(id, [RESEARCHER_ROLE_ID], headers),
        ],
        ['disable', (id: string, headers: Record<string, string>) => put(id, { disabled: true }, headers)],
        ['delete', (id: string, headers: Record<string, string>) => remove(id, headers)],
      ])(
        'lets exactly one of two admins who %s each other concurrently succeed, trial after trial',
        async (_label, act) => {
          for (let trial = 0; trial < 10; trial++) {
            await truncateMutableTables(database())
            const [a, b] = await Promise.all([createAdmin(s.t.deps), createAdmin(s.t.deps)])
            const [asA, asB] = await Promise.all([as(a), as(b)])
            const answers = await Promise.all([act(b.id, asA), act(a.id, asB)])
            const statuses = answers.map((answer) => answer.statusCode)
            // The loser is refused by the rule (409), or, if the winner finished first, as a caller
            // without authority any more (403: demoted or disabled; 401: its account is gone).
            expect(
              statuses.filter((status) => status === 200),
              `trial ${trial}: ${statuses}`,
            ).toHaveLength(1)
            expect(
              statuses.every((status) => [200, 401, 403, 409].includes(status)),
              `trial ${trial}: ${statuses}`,
            ).toBe(true)
            expect(await enabledAdmins(), `trial ${trial}`).toHaveLength(1)
          }
        },
      )
    })
  })
})
