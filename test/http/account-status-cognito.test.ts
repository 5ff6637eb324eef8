import { randomUUID } from 'node:crypto'
import { AdminDisableUserCommand, AdminEnableUserCommand } from '@aws-sdk/client-cognito-identity-provider'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Clock } from '../../src/domain/clock.js'
import { ADMIN_ROLE_ID, VIEWER_ROLE_ID } from '../../src/domain/roles.js'
import { createUserRolesRepository } from '../../src/repositories/user-roles-repository.js'
import { type AwsFaultProxy, startAwsFaultProxy } from '../support/aws-fault-proxy.js'
import { cognitoEnv, useCognitoLocal } from '../support/cognito-local.js'
import { bearer } from '../support/factories.js'
import { createTestApp, type TestApp } from '../support/test-app.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

const target =
  databaseTargets().find((candidate) => candidate.kind === 'postgres' && candidate.available) ??
  databaseTargets()[0]!

/**
 * SPEC §3 with AUTH_BACKEND=cognito, against cognito-local: a Cognito token stays valid after
 * its account is disabled, so the service asks Cognito (AdminGetUser `Enabled`), trusting an
 * "enabled" answer for ACCOUNT_STATUS_CACHE_SECONDS, and a disable made through it holds at once.
 */
describe(`account status with AUTH_BACKEND=cognito on ${target.kind}`, () => {
  const emulator = useCognitoLocal()
  const database = useTestDatabase(target)
  const stamp = randomUUID().slice(0, 8)
  let sequence = 0
  let t: TestApp
  let proxy: AwsFaultProxy
  let offsetMs = 0
  const clock: Clock = { now: () => new Date(Date.now() + offsetMs) }

  beforeAll(async () => {
    const { pool } = emulator()
    proxy = await startAwsFaultProxy(emulator().endpoint)
    t = await createTestApp(database(), {
      clock,
      env: cognitoEnv(pool, proxy.url, { ACCOUNT_STATUS_CACHE_SECONDS: '60' }),
    })
  })
  afterAll(async () => {
    await t?.close()
    await proxy?.close()
  })
  beforeEach(() => {
    offsetMs = 0
    proxy.reset()
  })

  const poolUser = async (label: string, roles: string[]) => {
    const user = await t.deps.idp.createUser(`${label}.${stamp}.${++sequence}@cognito.example.org`, {
      suppressInvite: true,
    })
    await createUserRolesRepository(database().db).replaceGlobal(user.id, roles)
    return { user, headers: bearer(await emulator().accessTokenFor(user.username)) }
  }
  const me = (headers: Record<string, string>) => t.app.inject({ url: '/api/users/me', headers })
  const sent = (...operations: string[]) =>
    proxy.requests
      .filter((request) => operations.includes(request.operation))
      .map((request) => `${request.operation} ${request.input.Username}`)
  const disabledAnswer = { status: 403, detail: 'User account is disabled.', code: 'auth.user_disabled' }

  it('disables with AdminDisableUser, then signs out with AdminUserGlobalSignOut, and refuses the user at once', async () => {
    const admin = await poolUser('admin', [ADMIN_ROLE_ID])
    const member = await poolUser('member', [VIEWER_ROLE_ID])
    expect((await me(member.headers)).statusCode).toBe(200)

    proxy.reset()
    const put = await t.app.inject({
      method: 'PUT',
      url: `/api/users/${member.user.id}`,
      headers: admin.headers,
      payload: { disabled: true },
    })
    // cognito-local answers AdminUserGlobalSignOut with HTTP 500 (cognito-local-gaps.test.ts), so
    // the sign-out is checked at the boundary: it was sent, after the disable, for that user. The
    // disable holds either way, so its failure is logged and the PUT still succeeds.
    expect(put.statusCode).toBe(200)
    expect(sent('AdminDisableUser', 'AdminUserGlobalSignOut')).toEqual([
      `AdminDisableUser ${member.user.username}`,
      `AdminUserGlobalSignOut ${member.user.username}`,
    ])
    // Well within the cache's minute: the disable was made here, so it holds here at once.
    const refused = await me(member.headers)
    expect(refused.json()).toMatchObject(disabledAnswer)
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/)
  })

  it('trusts an enabled answer for ACCOUNT_STATUS_CACHE_SECONDS, so a disable made elsewhere holds once they have passed', async () => {
    const member = await poolUser('cached', [VIEWER_ROLE_ID])
    expect((await me(member.headers)).statusCode).toBe(200)
    proxy.reset()
    expect((await me(member.headers)).statusCode).toBe(200)
    expect(sent('AdminGetUser')).toEqual([])

    // Disabled in Cognito directly (the console, another replica): this process has not heard.
    const disable = new AdminDisableUserCommand({
      UserPoolId: emulator().pool.userPoolId,
      Username: member.user.username,
    })
    await emulator().admin.send(disable)
    offsetMs = 59_000
    expect((await me(member.headers)).statusCode).toBe(200)
    offsetMs = 61_000
    expect((await me(member.headers)).json()).toMatchObject(disabledAnswer)
    expect(sent('AdminGetUser')).toEqual([`AdminGetUser ${member.user.username}`])

    // A "disabled" answer is never cached: re-enabled, the account is let in on its next request.
    await emulator().admin.send(
      new AdminEnableUserCommand({ UserPoolId: emulator().pool.userPoolId, Username: member.user.username }),
    )
    expect((await me(member.headers)).statusCode).toBe(200)
  })

  it('refuses to disable the last administrator with 409, without calling Cognito to change anything', async () => {
    const admin = await poolUser('sole', [ADMIN_ROLE_ID])
    proxy.reset()
    const put = await t.app.inject({
      method: 'PUT',
      url: `/api/users/${admin.user.id}`,
      headers: admin.headers,
      payload: { disabled: true },
    })
    expect(put.statusCode).toBe(409)
    expect(put.json()).toMatchObject({
      detail: 'Cannot remove the last administrator.',
      code: 'user.last_admin',
    })
    expect(sent('AdminDisableUser', 'AdminUserGlobalSignOut')).toEqual([])
    expect(await t.deps.idp.isEnabled(admin.user.username)).toBe(true)
  })
})
