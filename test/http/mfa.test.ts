import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { beforeEach, describe, expect, it } from 'vitest'
import type { Clock } from '../../src/domain/clock.js'
import { RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import type { IdentityUser } from '../../src/identity/identity-provider.js'
import { createAuditRepository } from '../../src/repositories/audit-repository.js'
import { bearer, createUser, createViewer, tokenFor } from '../support/factories.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { rowsOf } from '../support/sql-rows.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

/** A clock the test moves by hand. */
const manualClock = () => {
  let now = Date.parse('2026-01-01T00:00:00Z')
  const clock: Clock & { advance(ms: number): void } = {
    now: () => new Date(now),
    advance: (ms) => {
      now += ms
    },
  }
  return clock
}

describe.each(databaseTargets())('MFA on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    const setMfa = (user: IdentityUser, on: boolean) =>
      database().db.execute(sql`UPDATE local_identity SET mfa_enabled = ${on} WHERE id = ${user.id}`)
    const mfaOf = async (user: IdentityUser) =>
      (
        await rowsOf<{ mfa_enabled: boolean }>(
          database(),
          sql`SELECT mfa_enabled FROM local_identity WHERE id = ${user.id}`,
        )
      )[0]?.mfa_enabled

    describe('without ENFORCE_MFA', () => {
      const s = useScriptedTestApp(database)
      const status = async (user: IdentityUser) =>
        s.t.app.inject({
          method: 'GET',
          url: '/api/users/me/mfa/status',
          headers: bearer(await tokenFor(s.t.deps, user)),
        })
      const reset = (userId: string, headers = s.headers) =>
        s.t.app.inject({ method: 'POST', url: `/api/users/${userId}/mfa/reset`, headers })

      it('reports enrolment and that MFA is not required', async () => {
        const viewer = await createViewer(s.t.deps)
        expect((await status(viewer)).json()).toEqual({ enabled: false, required: false })
        await setMfa(viewer, true)
        expect((await status(viewer)).json()).toEqual({ enabled: true, required: false })
        expect(s.idp.calls.isMfaEnabled).toBe(2)
      })

      it('is 401 when the caller has no identity (it has no authority), without asking for the MFA state', async () => {
        const ghost = {
          ...s.admin,
          id: randomUUID(),
          username: 'ghost@example.org',
          email: 'ghost@example.org',
        }
        const response = await status(ghost)
        expect(response.statusCode).toBe(401)
        expect(response.json().detail).toBe('Could not validate credentials')
        expect(s.idp.calls.isMfaEnabled).toBe(0)
      })

      it('resets a user’s factor, answers {} and audits "Reset user MFA" by the admin', async () => {
        const user = await createUser(s.t.deps, [RESEARCHER_ROLE_ID])
        await setMfa(user, true)
        const response = await reset(user.id)
        expect(response.statusCode).toBe(200)
        expect(response.json()).toEqual({})
        expect(await mfaOf(user)).toBe(false)
        expect(s.idp.calls.resetMfa).toBe(1)
        expect(await createAuditRepository(database().db).actionsFor(user.id)).toEqual(['Reset user MFA'])
      })

      it('refuses a caller without CAN_MANAGE_USERS before any IdP call', async () => {
        const user = await createUser(s.t.deps, [RESEARCHER_ROLE_ID])
        const viewer = await createViewer(s.t.deps)
        s.idp.resetCalls()
        const response = await reset(user.id, bearer(await tokenFor(s.t.deps, viewer)))
        expect(response.statusCode).toBe(403)
        expect(response.json().detail).toBe(`User with ID: ${viewer.id} was unable to manage users`)
        expect(s.idp.calls).toMatchObject({ getUserById: 0, resetMfa: 0 })
      })

      it('is 404 for an unknown user: no reset, no audit', async () => {
        const id = randomUUID()
        const response = await reset(id)
        expect(response.statusCode).toBe(404)
        expect(response.json().detail).toContain('is not registered')
        expect(s.idp.calls.resetMfa).toBe(0)
        expect(await createAuditRepository(database().db).actionsFor(id)).toEqual([])
      })

      it('answers 500 "Failed to reset user MFA" without the cause, and writes no audit row', async () => {
        const user = await createUser(s.t.deps, [RESEARCHER_ROLE_ID])
        s.idp.fail('resetMfa', () => new Error('boom'))
        const response = await reset(user.id)
        expect(response.statusCode).toBe(500)
        expect(response.json().detail).toBe('Failed to reset user MFA')
        expect(response.body).not.toContain('boom')
        expect(await createAuditRepository(database().db).actionsFor(user.id)).toEqual([])
      })

      it('answers 503 when the IdP is unavailable for the reset', async () => {
        const user = await createUser(s.t.deps, [RESEARCHER_ROLE_ID])
        s.idp.fail('resetMfa', () => new IdentityProviderError('Unavailable', 'down'))
        expect((await reset(user.id)).statusCode).toBe(503)
      })

      it('rejects a non-UUID id with 422 before any IdP call', async () => {
        const response = await reset('not-a-uuid')
        expect(response.statusCode).toBe(422)
        expect(s.idp.calls.getUserById).toBe(0)
      })
    })

    describe('with ENFORCE_MFA=true', () => {
      const clock = manualClock()
      const s = useScriptedTestApp(database, { env: { ENFORCE_MFA: 'true' }, clock })
      let headers: Record<string, string>
      beforeEach(async () => {
        headers = s.headers
        await setMfa(s.admin, true)
        s.idp.resetCalls()
      })
      const me = () => s.t.app.inject({ method: 'GET', url: '/api/users/me', headers })

      it('refuses a caller without a factor with 403 "MFA enrolment required" and never caches the refusal', async () => {
        await setMfa(s.admin, false)
        const response = await me()
        expect(response.statusCode).toBe(403)
        expect(response.json().detail).toBe('MFA enrolment required')
        expect(s.idp.calls.getUserById).toBe(0)
        await setMfa(s.admin, true)
        expect((await me()).statusCode).toBe(200)
        expect(s.idp.calls.isMfaEnabled).toBe(2)
      })

      it('lets an enrolled caller through and trusts that for 60 s of the clock', async () => {
        expect((await me()).statusCode).toBe(200)
        await setMfa(s.admin, false)
        clock.advance(59_000)
        expect((await me()).statusCode).toBe(200)
        expect(s.idp.calls.isMfaEnabled).toBe(1)
        clock.advance(2_000)
        expect((await me()).statusCode).toBe(403)
        expect(s.idp.calls.isMfaEnabled).toBe(2)
      })

      it('lets a caller without a factor read their MFA status, which says it is required', async () => {
        await setMfa(s.admin, false)
        const response = await s.t.app.inject({ method: 'GET', url: '/api/users/me/mfa/status', headers })
        expect(response.statusCode).toBe(200)
        expect(response.json()).toEqual({ enabled: false, required: true })
      })

      it('forgets a cached enrolment when the user’s MFA is reset', async () => {
        const user = await createUser(s.t.deps, [RESEARCHER_ROLE_ID])
        await setMfa(user, true)
        const userHeaders = bearer(await tokenFor(s.t.deps, user))
        const asUser = () => s.t.app.inject({ method: 'GET', url: '/api/users/me', headers: userHeaders })
        expect((await asUser()).statusCode).toBe(200)
        const reset = await s.t.app.inject({
          method: 'POST',
          url: `/api/users/${user.id}/mfa/reset`,
          headers,
        })
        expect(reset.statusCode).toBe(200)
        expect((await asUser()).statusCode).toBe(403)
      })

      it('answers 503, not 403, when the IdP cannot say', async () => {
        s.idp.fail('isMfaEnabled', () => new IdentityProviderError('Unavailable', 'down'))
        expect((await me()).statusCode).toBe(503)
      })

      it('checks the token before MFA: no token is 401 with no IdP call', async () => {
        const response = await s.t.app.inject({ method: 'GET', url: '/api/users/me' })
        expect(response.statusCode).toBe(401)
        expect(s.idp.calls.isMfaEnabled).toBe(0)
      })

      it('refuses a valid token whose subject the IdP does not know before asking for its MFA state', async () => {
        const ghost = {
          ...s.admin,
          id: randomUUID(),
          username: 'ghost@example.org',
          email: 'ghost@example.org',
        }
        const response = await s.t.app.inject({
          method: 'GET',
          url: '/api/users/me',
          headers: bearer(await tokenFor(s.t.deps, ghost)),
        })
        expect(response.statusCode).toBe(401)
        expect(response.json().detail).toBe('Could not validate credentials')
        expect(s.idp.calls.isMfaEnabled).toBe(0)
      })

      it('leaves public routes alone', async () => {
        const response = await s.t.app.inject({ method: 'GET', url: '/api/health' })
        expect(response.statusCode).toBe(200)
        expect(s.idp.calls.isMfaEnabled).toBe(0)
      })
    })
  })
})
