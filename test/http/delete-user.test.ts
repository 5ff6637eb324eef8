import { randomUUID } from 'node:crypto'
import { type SQL, sql } from 'drizzle-orm'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { RESEARCHER_ROLE_ID, TRUST_ADMIN_ROLE_ID } from '../../src/domain/roles.js'
import { advanceRegistration } from '../../src/features/register-user/register-user.saga.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import type { IdentityUser } from '../../src/identity/identity-provider.js'
import { createAuditRepository } from '../../src/repositories/audit-repository.js'
import { createProfilesRepository } from '../../src/repositories/profiles-repository.js'
import { createTrustsRepository } from '../../src/repositories/trusts-repository.js'
import { createUserRolesRepository } from '../../src/repositories/user-roles-repository.js'
import { registrationById } from '../register-user/saga-assertions.js'
import { bearer, createUser, createViewer, tokenFor } from '../support/factories.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { rowsOf } from '../support/sql-rows.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

const DELETE_FAILED =
  'Role grants revoked, but identity-provider user deletion failed. The user can still authenticate with zero app authority — manual identity-provider cleanup required.'

describe.each(databaseTargets())('DELETE /api/users/{userId} on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    let user: IdentityUser

    const s = useScriptedTestApp(database)
    beforeAll(async () => {
      // The shared fault helper covers inserts into other tables; this endpoint's only insert is
      // the audit row, so a real trigger refuses audit rows for the users named in a table.
      await database().db.execute(
        sql`CREATE TABLE IF NOT EXISTS test_audit_refusal (user_id uuid PRIMARY KEY, sqlstate text NOT NULL)`,
      )
      await database().db.execute(sql`
        CREATE OR REPLACE FUNCTION test_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE state text;
        BEGIN
          SELECT sqlstate INTO state FROM test_audit_refusal WHERE user_id = NEW.user_id;
          IF FOUND THEN RAISE EXCEPTION 'injected fault on users_audit' USING ERRCODE = state; END IF;
          RETURN NEW;
        END $$`)
      await database().db.execute(sql`DROP TRIGGER IF EXISTS test_audit_refuse ON users_audit`)
      await database().db.execute(
        sql`CREATE TRIGGER test_audit_refuse BEFORE INSERT ON users_audit FOR EACH ROW EXECUTE FUNCTION test_audit_refuse()`,
      )
    })

    const rows = <T>(query: SQL) => rowsOf<T>(database(), query)
    const grantsOf = async (userId: string) =>
      (await rows<{ role_id: string }>(sql`SELECT role_id FROM user_role WHERE user_id = ${userId}`))
        .map((row) => row.role_id)
        .sort()
    const auditOf = (userId: string) =>
      rows<{ action: string; modified_by_user_id: string }>(
        sql`SELECT action, modified_by_user_id FROM users_audit WHERE user_id = ${userId} ORDER BY timestamp`,
      )
    const footprintOf = async (userId: string) => ({
      identity: (await rows(sql`SELECT id FROM local_identity WHERE id = ${userId}`)).length,
      grants: await grantsOf(userId),
      profile: (await createProfilesRepository(database().db).find(userId)) !== undefined,
      audit: (await auditOf(userId)).map((row) => row.action),
    })
    const refuseAuditOf = (userId: string, sqlstate: string) =>
      database().db.execute(
        sql`INSERT INTO test_audit_refusal (user_id, sqlstate) VALUES (${userId}, ${sqlstate})`,
      )

    /** A registered user: global and trust-held grants, a profile and a "Registered user" row. */
    const seedUser = async (userId: string) => {
      const trust = await createTrustsRepository(database().db).insert({ name: `Trust ${userId}` })
      await createUserRolesRepository(database().db).replaceTrustAdmin(userId, TRUST_ADMIN_ROLE_ID, trust.id)
      await createProfilesRepository(database().db).upsert({ userId, name: 'Doomed', organisation: 'Org' })
      await createAuditRepository(database().db).record('Registered user', userId, s.admin.id)
    }
    const intact = {
      identity: 1,
      grants: [RESEARCHER_ROLE_ID, TRUST_ADMIN_ROLE_ID].sort(),
      profile: true,
      audit: ['Registered user'],
    }

    beforeEach(async () => {
      user = await createUser(s.t.deps, [RESEARCHER_ROLE_ID])
      await seedUser(user.id)
      s.idp.resetCalls()
    })

    const remove = (userId = user.id, as: Record<string, string> = s.headers) =>
      s.t.app.inject({ method: 'DELETE', url: `/api/users/${userId}`, headers: as })

    it('revokes every grant, removes the profile, audits, then deletes the IdP user', async () => {
      expect(await footprintOf(user.id)).toEqual(intact)
      const response = await remove()
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({})
      expect(await footprintOf(user.id)).toEqual({
        identity: 0,
        grants: [],
        profile: false,
        audit: ['Registered user', 'Deleted user'],
      })
      expect((await auditOf(user.id)).at(-1)?.modified_by_user_id).toBe(s.admin.id)
      expect(s.idp.calls).toMatchObject({ getUserById: 1, deleteUser: 1 })
    })

    it('still drops grants and profile when the IdP user is already gone, without an IdP delete', async () => {
      const orphan = randomUUID()
      await createUserRolesRepository(database().db).replaceGlobal(orphan, [RESEARCHER_ROLE_ID])
      await seedUser(orphan)
      const response = await remove(orphan)
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({})
      expect(await footprintOf(orphan)).toEqual({
        identity: 0,
        grants: [],
        profile: false,
        audit: ['Registered user', 'Deleted user'],
      })
      expect(s.idp.calls).toMatchObject({ getUserById: 1, deleteUser: 0 })
    })

    it('refuses a caller without CAN_MANAGE_USERS with 403 before any IdP call', async () => {
      const viewer = await createViewer(s.t.deps)
      s.idp.resetCalls()
      const response = await remove(user.id, bearer(await tokenFor(s.t.deps, viewer)))
      expect(response.statusCode).toBe(403)
      expect(response.json().detail).toBe(`User with ID: ${viewer.id} was unable to manage users`)
      expect(s.idp.calls).toMatchObject({ getUserById: 0, deleteUser: 0 })
      expect(await footprintOf(user.id)).toEqual(intact)
    })

    it.each([
      ['Unavailable', 503, 'The identity provider is unavailable; please try again.'],
      ['ProviderError', 500, 'identity provider error'],
    ] as const)(
      'passes an IdP %s on the lookup on as %i, writing nothing',
      async (reason, status, detail) => {
        s.idp.fail('getUserById', () => new IdentityProviderError(reason, 'identity provider error'))
        const response = await remove()
        expect(response.statusCode).toBe(status)
        expect(response.json().detail).toBe(detail)
        expect(s.idp.calls.deleteUser).toBe(0)
        expect(await footprintOf(user.id)).toEqual(intact)
      },
    )

    it('answers 429 with Retry-After when the IdP throttles the lookup, writing nothing', async () => {
      s.idp.fail(
        'getUserById',
        () => new IdentityProviderError('Throttled', 'slow down', { retryAfterMs: 4000 }),
      )
      const response = await remove()
      expect(response.statusCode).toBe(429)
      expect(response.headers['retry-after']).toBe('4')
      expect(await footprintOf(user.id)).toEqual(intact)
    })

    it('keeps the committed database changes and asks for manual cleanup when the IdP delete fails', async () => {
      s.idp.fail('deleteUser', () => new IdentityProviderError('ProviderError', 'Failed to delete user'))
      const response = await remove()
      expect(response.statusCode).toBe(500)
      expect(response.json().detail).toBe(DELETE_FAILED)
      expect(s.idp.calls.deleteUser).toBe(1)
      expect(await footprintOf(user.id)).toEqual({
        identity: 1,
        grants: [],
        profile: false,
        audit: ['Registered user', 'Deleted user'],
      })
    })

    it('keeps the refused delete on record: its state and FLIP’s detail at the deletion’s route', async () => {
      s.idp.fail('deleteUser', () => new IdentityProviderError('ProviderError', 'Failed to delete user'))
      const response = await remove()
      const deletionId = response.json().registrationId as string
      expect(response.headers.location).toBe(`/api/users/deletions/${deletionId}`)
      const view = await s.t.app.inject({
        method: 'GET',
        url: `/api/users/deletions/${deletionId}`,
        headers: s.headers,
      })
      expect(view.statusCode).toBe(200)
      expect(view.json()).toMatchObject({
        kind: 'delete',
        state: 'failed',
        user_id: user.id,
        last_error: DELETE_FAILED,
      })
      expect(view.json().events.map((event: { to: string }) => event.to)).toEqual(['deleting', 'failed'])
    })

    it('answers 202 with a Location when the IdP delete fails transiently, and finishes it in the background', async () => {
      s.idp.fail(
        'deleteUser',
        () => new IdentityProviderError('Unavailable', 'The identity provider is unavailable'),
      )
      const response = await remove()
      expect(response.statusCode).toBe(202)
      const deletionId = response.json().deletion_id as string
      expect(response.json()).toEqual({ deletion_id: deletionId, state: 'deleting' })
      expect(response.headers.location).toBe(`/api/users/deletions/${deletionId}`)
      // The database side is committed: no authority is left while the IdP user waits.
      expect(await footprintOf(user.id)).toEqual({
        identity: 1,
        grants: [],
        profile: false,
        audit: ['Registered user', 'Deleted user'],
      })
      // The email stays held: registering it again now would meet the IdP user still there.
      const again = await s.t.app.inject({
        method: 'POST',
        url: '/api/step/users',
        headers: s.headers,
        payload: { email: user.email, name: 'N', organisation: 'O', roles: [RESEARCHER_ROLE_ID] },
      })
      expect(again.statusCode).toBe(409)
      expect(again.headers.location).toBe(`/api/users/deletions/${deletionId}`)

      s.idp.heal()
      await advanceRegistration(s.t.deps, s.t.deps.saga, deletionId, 'worker')
      const view = await s.t.app.inject({
        method: 'GET',
        url: `/api/users/deletions/${deletionId}`,
        headers: s.headers,
      })
      expect(view.json()).toMatchObject({ kind: 'delete', state: 'deleted', last_error: null })
      expect(await footprintOf(user.id)).toMatchObject({ identity: 0 })
    })

    it('hands a delete whose IdP keeps failing to a person after the retry budget; retry finishes it', async () => {
      s.idp.fail(
        'deleteUser',
        () => new IdentityProviderError('Unavailable', 'The identity provider is unavailable'),
      )
      const deletionId = (await remove()).json().deletion_id as string
      for (let attempt = 0; attempt < s.t.deps.saga.compensationBudget; attempt++) {
        const { registration } = await advanceRegistration(s.t.deps, s.t.deps.saga, deletionId, 'worker')
        if (registration?.state === 'needs_attention') break
      }
      expect(await registrationById(database(), deletionId)).toMatchObject({
        state: 'needs_attention',
        compensationAttempts: s.t.deps.saga.compensationBudget,
      })
      const abandon = await s.t.app.inject({
        method: 'POST',
        url: `/api/step/users/${deletionId}/abandon`,
        headers: s.headers,
      })
      expect(abandon.statusCode).toBe(409)
      expect(abandon.json().code).toBe('registration.not_abandonable')
      s.idp.heal()
      const retry = await s.t.app.inject({
        method: 'POST',
        url: `/api/step/users/${deletionId}/retry`,
        headers: s.headers,
      })
      expect(retry.statusCode).toBe(200)
      expect(retry.json().registration).toMatchObject({ kind: 'delete', state: 'deleted' })
      expect(await footprintOf(user.id)).toMatchObject({ identity: 0 })
    })

    it('answers 404 at the deletion route for an id that is no deletion', async () => {
      const response = await s.t.app.inject({
        method: 'GET',
        url: `/api/users/deletions/${randomUUID()}`,
        headers: s.headers,
      })
      expect(response.statusCode).toBe(404)
      expect(response.json().code).toBe('deletion.not_found')
    })

    it('counts an IdP user deleted by someone else in the meantime as deleted', async () => {
      s.idp.fail('deleteUser', () => new IdentityProviderError('NotFound', 'User is not registered.'))
      const response = await remove()
      expect(response.statusCode).toBe(200)
      expect(await footprintOf(user.id)).toMatchObject({ grants: [], profile: false })
    })

    it('changes nothing and never calls the IdP delete when the database refuses the transaction', async () => {
      await refuseAuditOf(user.id, 'P0001')
      const response = await remove()
      expect(response.statusCode).toBe(500)
      expect(response.json().detail).toBe('Internal server error')
      expect(response.body).not.toContain('injected fault')
      expect(s.idp.calls.deleteUser).toBe(0)
      expect(await footprintOf(user.id)).toEqual(intact)
    })

    it('answers 503 for a transient database failure, changing nothing', async () => {
      await refuseAuditOf(user.id, '40P01')
      const response = await remove()
      expect(response.statusCode).toBe(503)
      expect(response.json().code).toBe('database.unavailable')
      expect(s.idp.calls.deleteUser).toBe(0)
      expect(await footprintOf(user.id)).toEqual(intact)
    })

    it('rejects a path id that is not a UUID with 422 before any IdP call', async () => {
      const response = await remove('not-a-uuid')
      expect(response.statusCode).toBe(422)
      expect(response.json().errors).toEqual([expect.objectContaining({ loc: ['params', 'userId'] })])
      expect(s.idp.calls).toMatchObject({ getUserById: 0, deleteUser: 0 })
    })
  })
})
