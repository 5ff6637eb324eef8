import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ADMIN_ROLE_ID, RESEARCHER_ROLE_ID, TRUST_ADMIN_ROLE_ID } from '../../src/domain/roles.js'
import type { IdentityUser } from '../../src/identity/identity-provider.js'
import { createTrustsRepository } from '../../src/repositories/trusts-repository.js'
import { createUserRolesRepository } from '../../src/repositories/user-roles-repository.js'
import { bearer, createUser, createViewer, tokenFor } from '../support/factories.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

describe.each(databaseTargets())('GET /api/users/{userId}/permissions on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    const s = useScriptedTestApp(database)
    const permissionsOf = async (user: IdentityUser, userId = user.id) =>
      s.t.app.inject({
        method: 'GET',
        url: `/api/users/${userId}/permissions`,
        headers: bearer(await tokenFor(s.t.deps, user)),
      })

    it('lists an Admin’s own permissions in PascalCase, with no trust', async () => {
      const response = await permissionsOf(s.admin)
      expect(response.statusCode).toBe(200)
      const body = response.json()
      expect(body.trustAdminOf).toBeNull()
      expect(body.permissions).toContain('CanManageUsers')
      expect(body.permissions).toContain('CanAccessAdminPanel')
      expect(body.permissions).not.toContain('CanApproveForTrust')
      expect(body.permissions).toHaveLength(9)
    })

    it('gives a Researcher CanCreateProjects only', async () => {
      const researcher = await createUser(s.t.deps, [RESEARCHER_ROLE_ID])
      expect((await permissionsOf(researcher)).json()).toEqual({
        permissions: ['CanCreateProjects'],
        trustAdminOf: null,
      })
    })

    it('names the trust a Trust Admin administers; trust-scoped permissions stay out of the list', async () => {
      const trust = await createTrustsRepository(database().db).insert({ name: 'South Trust', code: null })
      const user = await createUser(s.t.deps, [RESEARCHER_ROLE_ID])
      await createUserRolesRepository(database().db).replaceTrustAdmin(user.id, TRUST_ADMIN_ROLE_ID, trust.id)
      expect((await permissionsOf(user)).json()).toEqual({
        permissions: ['CanCreateProjects'],
        trustAdminOf: { id: trust.id, code: null, name: 'South Trust' },
      })
    })

    it('answers 200 with no permissions for a Viewer, who holds a role that grants none', async () => {
      const viewer = await createViewer(s.t.deps)
      expect((await permissionsOf(viewer)).json()).toEqual({ permissions: [], trustAdminOf: null })
    })

    it('is 404 for a user with no global role, even with a trust-held one', async () => {
      const user = await createUser(s.t.deps, [])
      const trust = await createTrustsRepository(database().db).insert({ name: 'T' })
      await createUserRolesRepository(database().db).replaceTrustAdmin(user.id, TRUST_ADMIN_ROLE_ID, trust.id)
      const response = await permissionsOf(user)
      expect(response.statusCode).toBe(404)
      expect(response.json().detail).toBe('The user does not exist or does not have a role assigned.')
    })

    it('refuses anyone asking for another user’s permissions, Admins included', async () => {
      const other = await createUser(s.t.deps, [ADMIN_ROLE_ID])
      const response = await permissionsOf(s.admin, other.id)
      expect(response.statusCode).toBe(403)
      expect(response.json().detail).toBe('User ID does not match token ID. Access denied.')
      expect((await permissionsOf(s.admin, randomUUID())).statusCode).toBe(403)
    })

    it('rejects a non-UUID id with 422', async () => {
      expect((await permissionsOf(s.admin, 'me')).statusCode).toBe(422)
    })
  })
})
