import { type SQL, sql } from 'drizzle-orm'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  ADMIN_ROLE_ID,
  RESEARCHER_ROLE_ID,
  TRUST_ADMIN_ROLE_ID,
  VIEWER_ROLE_ID,
} from '../../src/domain/roles.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import type { IdentityUser } from '../../src/identity/identity-provider.js'
import { createTrustsRepository } from '../../src/repositories/trusts-repository.js'
import { injectDatabaseFault } from '../support/database-faults.js'
import { bearer, createUser, createViewer, tokenFor } from '../support/factories.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { rowsOf } from '../support/sql-rows.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

describe.each(databaseTargets())('POST /api/users/{userId}/roles on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    let user: IdentityUser

    const s = useScriptedTestApp(database, { faults: true })
    beforeEach(async () => {
      user = await createUser(s.t.deps, [VIEWER_ROLE_ID])
      s.idp.resetCalls()
    })

    const rows = <T>(query: SQL) => rowsOf<T>(database(), query)
    const grantsOf = async (userId: string) =>
      (
        await rows<{ role_id: string; trust_id: string | null }>(
          sql`SELECT role_id, trust_id FROM user_role WHERE user_id = ${userId}`,
        )
      ).sort((a, b) => a.role_id.localeCompare(b.role_id))
    const auditOf = (userId: string) =>
      rows<{ action: string; modified_by_user_id: string }>(
        sql`SELECT action, modified_by_user_id FROM users_audit WHERE user_id = ${userId} ORDER BY timestamp`,
      )
    const unchanged = async () => {
      expect(await grantsOf(user.id)).toEqual([{ role_id: VIEWER_ROLE_ID, trust_id: null }])
      expect(await auditOf(user.id)).toEqual([])
    }
    const newTrust = async () =>
      (await createTrustsRepository(database().db).insert({ name: 'North Trust' })).id

    const post = (payload: object, userId = user.id, as: Record<string, string> = s.headers) =>
      s.t.app.inject({ method: 'POST', url: `/api/users/${userId}/roles`, headers: as, payload })

    it('replaces the global grants, audits it and echoes the request', async () => {
      const response = await post({ roles: [ADMIN_ROLE_ID, RESEARCHER_ROLE_ID] })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ roles: [ADMIN_ROLE_ID, RESEARCHER_ROLE_ID], trustId: null })
      expect(await grantsOf(user.id)).toEqual(
        [
          { role_id: ADMIN_ROLE_ID, trust_id: null },
          { role_id: RESEARCHER_ROLE_ID, trust_id: null },
        ].sort((a, b) => a.role_id.localeCompare(b.role_id)),
      )
      expect(await auditOf(user.id)).toEqual([
        { action: 'Updated user roles', modified_by_user_id: s.admin.id },
      ])
      expect(s.idp.calls.getUserById).toBe(1)
    })

    it('removes every global grant for an empty list', async () => {
      const response = await post({ roles: [] })
      expect(response.statusCode).toBe(200)
      expect(await grantsOf(user.id)).toEqual([])
      expect((await auditOf(user.id)).map((row) => row.action)).toEqual(['Updated user roles'])
    })

    it('saves a Trust Admin as a global Researcher plus the grant at the trust, under either key', async () => {
      const trustId = await newTrust()
      const response = await post({ roles: [TRUST_ADMIN_ROLE_ID], trust_id: trustId })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ roles: [TRUST_ADMIN_ROLE_ID], trustId })
      expect(await grantsOf(user.id)).toEqual([
        { role_id: RESEARCHER_ROLE_ID, trust_id: null },
        { role_id: TRUST_ADMIN_ROLE_ID, trust_id: trustId },
      ])
      expect((await post({ roles: [VIEWER_ROLE_ID], trustId: null })).statusCode).toBe(200)
      expect(await grantsOf(user.id)).toEqual([{ role_id: VIEWER_ROLE_ID, trust_id: null }])
    })

    it('refuses a caller without CAN_MANAGE_USERS with 403 before any IdP call', async () => {
      const viewer = await createViewer(s.t.deps)
      s.idp.resetCalls()
      const response = await post(
        { roles: [ADMIN_ROLE_ID] },
        user.id,
        bearer(await tokenFor(s.t.deps, viewer)),
      )
      expect(response.statusCode).toBe(403)
      expect(response.json().detail).toBe(`User with ID: ${viewer.id} was unable to update a user's roles`)
      expect(s.idp.calls.getUserById).toBe(0)
      await unchanged()
    })

    it('answers 404 for a user the IdP does not know, writing nothing', async () => {
      const stranger = '3b1f6a0e-8c2d-4e7f-9a1b-5c6d7e8f9a0b'
      const response = await post({ roles: [ADMIN_ROLE_ID] }, stranger)
      expect(response.statusCode).toBe(404)
      expect(response.json().detail).toBe(`User with ID ${stranger} not found`)
      expect(await grantsOf(stranger)).toEqual([])
      expect(await auditOf(stranger)).toEqual([])
    })

    it.each(['Unavailable', 'ProviderError', 'Ambiguous'] as const)(
      'answers 503 when the IdP lookup fails with %s, writing nothing',
      async (reason) => {
        s.idp.fail('getUserById', () => new IdentityProviderError(reason, 'Failed to get users'))
        const response = await post({ roles: [ADMIN_ROLE_ID] })
        expect(response.statusCode).toBe(503)
        expect(response.json().detail).toBe(
          'Could not verify user existence with the identity provider; please try again.',
        )
        await unchanged()
      },
    )

    it('answers 429 with Retry-After when the IdP throttles the lookup, writing nothing', async () => {
      s.idp.fail(
        'getUserById',
        () => new IdentityProviderError('Throttled', 'slow down', { retryAfterMs: 1200 }),
      )
      const response = await post({ roles: [ADMIN_ROLE_ID] })
      expect(response.statusCode).toBe(429)
      expect(response.headers['retry-after']).toBe('2')
      await unchanged()
    })

    it('refuses unknown roles with 400, writing nothing', async () => {
      const unknown = '5e87c5a2-9a3e-4f0b-8c1d-2e3f4a5b6c7d'
      const response = await post({ roles: [unknown] })
      expect(response.statusCode).toBe(400)
      expect(response.json().detail).toBe(`Invalid role(s): [UUID('${unknown}')]`)
      await unchanged()
    })

    it('applies the Trust Admin rules with 400 and 404, writing nothing', async () => {
      const trustId = await newTrust()
      const atTrust = await post({ roles: [VIEWER_ROLE_ID], trustId })
      expect(atTrust.statusCode).toBe(400)
      expect(atTrust.json().detail).toBe('Only the Trust Admin role is held at a trust.')
      const missing = '0b7e4c1a-3f2d-4e5a-9b8c-7d6e5f4a3b2c'
      const unknownTrust = await post({ roles: [TRUST_ADMIN_ROLE_ID], trustId: missing })
      expect(unknownTrust.statusCode).toBe(404)
      expect(unknownTrust.json().detail).toBe(`Trust ${missing} not found`)
      await unchanged()
    })

    it('rolls the whole change back and answers a generic 500 when the database refuses it', async () => {
      await injectDatabaseFault(database(), 'user_role', 'P0001', 1)
      const response = await post({ roles: [ADMIN_ROLE_ID] })
      expect(response.statusCode).toBe(500)
      expect(response.json().detail).toBe('Internal server error')
      expect(response.body).not.toContain('injected fault')
      await unchanged()
    })

    it('answers 503 for a transient database failure, and keeps the old grants', async () => {
      await injectDatabaseFault(database(), 'user_role', '40001', 1)
      const response = await post({ roles: [ADMIN_ROLE_ID] })
      expect(response.statusCode).toBe(503)
      expect(response.json().code).toBe('database.unavailable')
      await unchanged()
    })

    it('rejects a path id that is not a UUID with 422 before any IdP call', async () => {
      const response = await post({ roles: [ADMIN_ROLE_ID] }, 'not-a-uuid')
      expect(response.statusCode).toBe(422)
      expect(response.json().errors).toEqual([expect.objectContaining({ loc: ['params', 'userId'] })])
      expect(s.idp.calls.getUserById).toBe(0)
    })

    it('rejects unknown body fields and non-UUID roles with 422, writing nothing', async () => {
      const response = await post({ roles: ['admin'], role: ADMIN_ROLE_ID })
      expect(response.statusCode).toBe(422)
      expect(response.json().errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ loc: ['body', 'role'], type: 'extra_forbidden' }),
          expect.objectContaining({ loc: ['body', 'roles', 0] }),
        ]),
      )
      expect(s.idp.calls.getUserById).toBe(0)
      await unchanged()
    })
  })
})
