import { randomUUID } from 'node:crypto'
import { type SQL, sql } from 'drizzle-orm'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import type { IdentityUser } from '../../src/identity/identity-provider.js'
import { createProfilesRepository } from '../../src/repositories/profiles-repository.js'
import { bearer, createUser, createViewer, tokenFor } from '../support/factories.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { rowsOf } from '../support/sql-rows.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

describe.each(databaseTargets())('PUT /api/users/{userId} on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    const s = useScriptedTestApp(database)
    let user: IdentityUser

    beforeAll(async () => {
      // Refuses audit rows for the users named in a table, as a real database failure would.
      await database().db.execute(
        sql`CREATE TABLE IF NOT EXISTS test_update_audit_refusal (user_id uuid PRIMARY KEY, sqlstate text NOT NULL)`,
      )
      await database().db.execute(sql`
        CREATE OR REPLACE FUNCTION test_update_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE state text;
        BEGIN
          SELECT sqlstate INTO state FROM test_update_audit_refusal WHERE user_id = NEW.user_id;
          IF FOUND THEN RAISE EXCEPTION 'injected fault on users_audit' USING ERRCODE = state; END IF;
          RETURN NEW;
        END $$`)
      await database().db.execute(sql`DROP TRIGGER IF EXISTS test_update_audit_refuse ON users_audit`)
      await database().db.execute(
        sql`CREATE TRIGGER test_update_audit_refuse BEFORE INSERT ON users_audit FOR EACH ROW EXECUTE FUNCTION test_update_audit_refuse()`,
      )
    })
    beforeEach(async () => {
      await database().db.execute(sql`DELETE FROM test_update_audit_refusal`)
      user = await createUser(s.t.deps, [RESEARCHER_ROLE_ID])
      s.idp.resetCalls()
    })

    const rows = <T>(query: SQL) => rowsOf<T>(database(), query)
    const put = (payload: unknown, userId = user.id, headers = s.headers) =>
      s.t.app.inject({ method: 'PUT', url: `/api/users/${userId}`, headers, payload: payload as object })
    const audit = async () =>
      (
        await rows<{ action: string; modified_by_user_id: string }>(
          sql`SELECT action, modified_by_user_id FROM users_audit WHERE user_id = ${user.id} ORDER BY timestamp`,
        )
      ).map((row) => `${row.action} by ${row.modified_by_user_id === s.admin.id ? 'admin' : 'other'}`)
    const enabled = async () => (await s.t.deps.idp.getUserById(user.id)).enabled
    const profile = () => createProfilesRepository(database().db).find(user.id)

    it.each([
      [{ disabled: true }, 'Disabled user', false],
      [{ disabled: false }, 'Enabled user', true],
    ])(
      '%j answers only that field, sets sign-in at the IdP and audits "%s"',
      async (body, action, isEnabled) => {
        const response = await put(body)
        expect(response.statusCode).toBe(200)
        expect(response.json()).toEqual(body)
        expect(s.idp.calls).toMatchObject({ getUserById: 1, setEnabled: 1 })
        expect(await enabled()).toBe(isEnabled)
        expect(await audit()).toEqual([`${action} by admin`])
      },
    )

    it('upserts the profile for a profile-only change, audits "Updated user profile", and leaves the IdP alone', async () => {
      const response = await put({ name: 'New Name' })
      expect(response.json()).toEqual({ name: 'New Name' })
      expect(await profile()).toEqual({ userId: user.id, name: 'New Name', organisation: '' })
      expect(s.idp.calls.setEnabled).toBe(0)
      await put({ organisation: 'New Org' })
      expect(await profile()).toEqual({ userId: user.id, name: 'New Name', organisation: 'New Org' })
      expect(await audit()).toEqual(['Updated user profile by admin', 'Updated user profile by admin'])
    })

    it('audits "Disabled user and updated profile" for both at once', async () => {
      const response = await put({ disabled: true, name: 'N', organisation: 'O' })
      expect(response.json()).toEqual({ disabled: true, name: 'N', organisation: 'O' })
      expect(await audit()).toEqual(['Disabled user and updated profile by admin'])
      expect(await enabled()).toBe(false)
    })

    it.each([
      [{}, 'At least one user field must be supplied'],
      [{ disabled: null, name: null }, 'At least one user field must be supplied'],
    ])('rejects %j with 422 and FLIP’s detail, writing nothing', async (body, detail) => {
      const response = await put(body)
      expect(response.statusCode).toBe(422)
      expect(response.json().detail).toBe(detail)
      expect(await audit()).toEqual([])
      expect(s.idp.calls).toMatchObject({ getUserById: 0, setEnabled: 0 })
    })

    it.each([
      { name: '' },
      { name: 'x'.repeat(256) },
      { organisation: 'x'.repeat(256) },
      { disabled: 'yes' },
      { email: 'new@example.org' },
    ])('rejects %j with 422, writing nothing', async (body) => {
      const response = await put(body)
      expect(response.statusCode).toBe(422)
      expect(response.json().detail).toEqual(expect.any(String))
      expect(await audit()).toEqual([])
      expect(await profile()).toBeUndefined()
    })

    it('rejects a non-UUID id with 422 before any IdP call', async () => {
      const response = await put({ disabled: true }, 'not-a-uuid')
      expect(response.statusCode).toBe(422)
      expect(s.idp.calls.getUserById).toBe(0)
    })

    it('refuses a caller without CAN_MANAGE_USERS before any IdP call', async () => {
      const viewer = await createViewer(s.t.deps)
      s.idp.resetCalls()
      const response = await put({ disabled: true }, user.id, bearer(await tokenFor(s.t.deps, viewer)))
      expect(response.statusCode).toBe(403)
      expect(response.json().detail).toBe(`User with ID: ${viewer.id} was unable to manage users`)
      expect(s.idp.calls).toMatchObject({ getUserById: 0, setEnabled: 0 })
    })

    it('is 404 "is not registered" for an unknown user, without setEnabled', async () => {
      const response = await put({ disabled: true }, randomUUID())
      expect(response.statusCode).toBe(404)
      expect(response.json().detail).toContain('is not registered')
      expect(s.idp.calls.setEnabled).toBe(0)
    })

    it('answers 500 "Failed to update user" without the cause for an unexpected failure', async () => {
      s.idp.fail('getUserById', () => new Error('Unexpected error'))
      const response = await put({ disabled: true })
      expect(response.statusCode).toBe(500)
      expect(response.json().detail).toBe('Failed to update user')
      expect(response.body).not.toContain('Unexpected error')
    })

    it('is 404 when the user disappears between the lookup and setEnabled, writing no audit row', async () => {
      s.idp.fail(
        'setEnabled',
        () => new IdentityProviderError('NotFound', `User ${user.email} is not registered.`),
      )
      const response = await put({ disabled: true })
      expect(response.statusCode).toBe(404)
      expect(response.json().detail).toContain('is not registered')
      expect(await audit()).toEqual([])
    })

    it('answers 503 when the IdP is unavailable for setEnabled, writing no audit row', async () => {
      s.idp.fail('setEnabled', () => new IdentityProviderError('Unavailable', 'down'))
      const response = await put({ disabled: true })
      expect(response.statusCode).toBe(503)
      expect(await audit()).toEqual([])
    })

    it('reports a partial update when the audit write fails after the IdP change', async () => {
      await database().db.execute(sql`INSERT INTO test_update_audit_refusal VALUES (${user.id}, 'P0001')`)
      const response = await put({ disabled: true, name: 'Never' })
      expect(response.statusCode).toBe(500)
      expect(response.json().detail).toBe(
        'Disabled user and updated profile succeeded, but audit log write failed — please verify and contact ops.',
      )
      expect(response.body).not.toContain('injected')
      expect(await enabled()).toBe(false)
      expect(await profile()).toBeUndefined()
    })

    it('answers 503 for a transient database failure on a profile-only change, writing nothing', async () => {
      await database().db.execute(sql`INSERT INTO test_update_audit_refusal VALUES (${user.id}, '40P01')`)
      const response = await put({ name: 'Never' })
      expect(response.statusCode).toBe(503)
      expect(await profile()).toBeUndefined()
    })
  })
})
