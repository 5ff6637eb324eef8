import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_ROLE_ID, RESEARCHER_ROLE_ID, VIEWER_ROLE_ID } from '../../src/domain/roles.js'
import type { IdentityUser } from '../../src/identity/identity-provider.js'
import { createAuditRepository } from '../../src/repositories/audit-repository.js'
import { createProfilesRepository } from '../../src/repositories/profiles-repository.js'
import { createUserRolesRepository } from '../../src/repositories/user-roles-repository.js'
import { type AwsFaultProxy, startAwsFaultProxy } from '../support/aws-fault-proxy.js'
import { cognitoEnv, useCognitoLocal } from '../support/cognito-local.js'
import { bearer } from '../support/factories.js'
import { createTestApp, type TestApp } from '../support/test-app.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'
import { enrolTotp } from '../support/totp.js'

const target =
  databaseTargets().find((candidate) => candidate.kind === 'postgres' && candidate.available) ??
  databaseTargets()[0]!

/**
 * The user-management routes over HTTP with AUTH_BACKEND=cognito and ENFORCE_MFA on: the real
 * adapter against cognito-local, tokens Cognito issued, and an admin enrolled with a real TOTP.
 */
describe(`user management through AUTH_BACKEND=cognito on ${target.kind}`, () => {
  const emulator = useCognitoLocal()
  const database = useTestDatabase(target)
  const stamp = randomUUID().slice(0, 8)
  const email = (label: string) => `${label}.${stamp}@cognito.example.org`
  let t: TestApp
  let proxy: AwsFaultProxy

  beforeAll(async () => {
    const { pool } = emulator()
    // cognito-local answers ListUsers all at once; the proxy pages it as Cognito does (60 a page).
    proxy = await startAwsFaultProxy(emulator().endpoint)
    proxy.pageListUsers(true)
    t = await createTestApp(database(), {
      env: cognitoEnv(pool, proxy.url, { ENFORCE_MFA: 'true' }),
    })
  })
  afterAll(async () => {
    await t?.close()
    await proxy?.close()
  })

  /** A pool user with global roles; with `mfa`, enrolled with an authenticator app. */
  const poolUser = async (label: string, roles: string[], mfa = false) => {
    const user = await t.deps.idp.createUser(email(label), { suppressInvite: true })
    await createUserRolesRepository(database().db).replaceGlobal(user.id, roles)
    const token = await emulator().accessTokenFor(user.username)
    if (mfa) await enrolTotp(emulator().admin, token)
    return { user, headers: bearer(token) }
  }
  const get = (url: string, headers: Record<string, string>) => t.app.inject({ method: 'GET', url, headers })

  it('serves list, me, lookup and one user from the pool, merged with roles and profiles', async () => {
    const admin = await poolUser('admin', [ADMIN_ROLE_ID], true)
    const member = await poolUser('member', [RESEARCHER_ROLE_ID])
    await createProfilesRepository(database().db).upsert({
      userId: member.user.id,
      name: 'Mem',
      organisation: 'Org',
    })

    const list = (await get(`/api/users?search=${stamp}`, admin.headers)).json()
    expect(list).toMatchObject({ page: 1, pageSize: 20, totalRecords: 2, totalPages: 1 })
    expect(list.data.map((user: IdentityUser) => user.email)).toEqual([admin.user.email, member.user.email])
    expect(list.data[1]).toMatchObject({
      name: 'Mem',
      roles: [{ rolename: 'Researcher' }],
      isDisabled: false,
    })

    expect((await get('/api/users/me', admin.headers)).json()).toMatchObject({
      id: admin.user.id,
      email: admin.user.email,
    })
    expect((await get(`/api/users/lookup?email=${member.user.email}`, admin.headers)).json()).toEqual({
      id: member.user.id,
      email: member.user.email,
      isDisabled: false,
    })
    const missing = await get(`/api/users/lookup?email=${email('nobody')}`, admin.headers)
    expect(missing.statusCode).toBe(404)
    expect(missing.json().detail).toBe('User not found.')
    expect((await get(`/api/users/${member.user.id}`, admin.headers)).json()).toMatchObject({
      id: member.user.id,
      organisation: 'Org',
      roles: [{ id: RESEARCHER_ROLE_ID }],
    })
    expect((await get(`/api/users/${randomUUID()}`, admin.headers)).statusCode).toBe(404)
  })

  it('walks the directory across ListUsers pages for the real total: 65 users, page 4 of 20 holds 5', async () => {
    const admin = await poolUser('list-admin', [ADMIN_ROLE_ID], true)
    const batch = `batch${stamp}`
    for (let i = 0; i < 65; i++)
      await t.deps.idp.createUser(`${batch}.${String(i).padStart(2, '0')}@cognito.example.org`, {
        suppressInvite: true,
      })
    proxy.reset()
    proxy.pageListUsers(true)
    const page = (await get(`/api/users?search=${batch}&pageNumber=4&pageSize=20`, admin.headers)).json()
    expect(page).toMatchObject({ page: 4, pageSize: 20, totalPages: 4, totalRecords: 65 })
    expect(page.data.map((user: IdentityUser) => user.email)).toEqual(
      [60, 61, 62, 63, 64].map((i) => `${batch}.${i}@cognito.example.org`),
    )
    const listCalls = proxy.requests.filter((request) => request.operation === 'ListUsers')
    expect(listCalls.length).toBeGreaterThan(1)
    expect(listCalls.every((request) => request.input.Limit === 60)).toBe(true)
  })

  it('disables and re-enables a pool user with PUT, auditing each', async () => {
    const admin = await poolUser('admin2', [ADMIN_ROLE_ID], true)
    const member = await poolUser('member2', [VIEWER_ROLE_ID])
    const put = (payload: object) =>
      t.app.inject({ method: 'PUT', url: `/api/users/${member.user.id}`, headers: admin.headers, payload })
    expect((await put({ disabled: true })).json()).toEqual({ disabled: true })
    expect((await t.deps.idp.getUserById(member.user.id)).enabled).toBe(false)
    expect((await put({ disabled: false, organisation: 'New Org' })).json()).toEqual({
      disabled: false,
      organisation: 'New Org',
    })
    expect((await t.deps.idp.getUserById(member.user.id)).enabled).toBe(true)
    expect(await createAuditRepository(database().db).actionsFor(member.user.id)).toEqual([
      'Disabled user',
      'Enabled user and updated profile',
    ])
  })

  it('gates every route but MFA status on an enrolled authenticator app', async () => {
    const viewer = await poolUser('viewer', [VIEWER_ROLE_ID])
    const refused = await get('/api/users/me', viewer.headers)
    expect(refused.statusCode).toBe(403)
    expect(refused.json().detail).toBe('MFA enrolment required')
    expect((await get('/api/users/me/mfa/status', viewer.headers)).json()).toEqual({
      enabled: false,
      required: true,
    })

    const enrolled = await poolUser('enrolled', [VIEWER_ROLE_ID], true)
    expect((await get('/api/users/me/mfa/status', enrolled.headers)).json()).toEqual({
      enabled: true,
      required: true,
    })
    expect((await get('/api/users/me', enrolled.headers)).statusCode).toBe(200)
  })

  it('answers an MFA reset with 503 and writes no audit row, because cognito-local does not support AdminSetUserMFAPreference', async () => {
    const admin = await poolUser('admin3', [ADMIN_ROLE_ID], true)
    const member = await poolUser('member3', [VIEWER_ROLE_ID], true)
    const response = await t.app.inject({
      method: 'POST',
      url: `/api/users/${member.user.id}/mfa/reset`,
      headers: admin.headers,
    })
    expect(response.statusCode).toBe(503)
    expect(await createAuditRepository(database().db).actionsFor(member.user.id)).toEqual([])
  })
})
