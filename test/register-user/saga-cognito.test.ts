import { ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ADMIN_ROLE_ID, RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { createUserRolesRepository } from '../../src/repositories/user-roles-repository.js'
import { type AwsFaultProxy, busiestWindow, startAwsFaultProxy } from '../support/aws-fault-proxy.js'
import { cognitoEnv, useCognitoLocal } from '../support/cognito-local.js'
import {
  clearDatabaseFaults,
  injectDatabaseFault,
  installDatabaseFaults,
} from '../support/database-faults.js'
import { bearer, uniqueEmail } from '../support/factories.js'
import { rowsOf } from '../support/sql-rows.js'
import { createTestApp, type TestApp } from '../support/test-app.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'
import { waitForState } from './saga-assertions.js'

const CREATE_RATE = 20

/**
 * The saga end to end over HTTP with AUTH_BACKEND=cognito: the real adapter and its pacing, the
 * AWS protocol to cognito-local, tokens Cognito issued, and faults injected by a proxy per AWS
 * operation. After every test, nothing is orphaned between the pool and the database.
 */
// PostgreSQL when the run has one: PGlite runs in this process, and its synchronous WASM work
// stalls the event loop that sends (and, here, proxies) the paced requests, bunching arrivals.
const target =
  databaseTargets().find((candidate) => candidate.kind === 'postgres' && candidate.available) ??
  databaseTargets()[0]!

describe(`register-user saga through AUTH_BACKEND=cognito on ${target.kind}`, () => {
  const database = useTestDatabase(target)
  const emulator = useCognitoLocal()
  let proxy: AwsFaultProxy
  let t: TestApp
  let headers: Record<string, string>

  beforeAll(async () => {
    proxy = await startAwsFaultProxy(emulator().endpoint)
    const { pool } = emulator()
    await installDatabaseFaults(database())
    t = await createTestApp(database(), {
      workers: true,
      saga: { compensationBudget: 4, leaseSeconds: 5 },
      env: cognitoEnv(pool, proxy.url, {
        COGNITO_TIMEOUT_MS: '1000',
        COGNITO_RATE_CREATE: String(CREATE_RATE),
      }),
    })
  })
  afterAll(async () => {
    await t?.close()
    await proxy?.close()
  })
  beforeEach(async () => {
    proxy.reset()
    await clearDatabaseFaults(database())
    // The admin is a real pool user with the Admin role; its token is one Cognito issued.
    const admin = await t.deps.idp.createUser(uniqueEmail('admin'), { suppressInvite: true })
    await createUserRolesRepository(database().db).replaceGlobal(admin.id, [ADMIN_ROLE_ID])
    headers = bearer(await emulator().accessTokenFor(admin.username))
    proxy.reset()
  })

  const register = (email: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/step/users',
      headers,
      payload: { email, name: 'Pool User', organisation: 'Example Org', roles: [RESEARCHER_ROLE_ID] },
    })

  const poolUsers = async (): Promise<{ sub: string; email: string }[]> => {
    const { admin, pool } = emulator()
    const answer = await admin.send(new ListUsersCommand({ UserPoolId: pool.userPoolId }))
    return (answer.Users ?? []).map((user) => ({
      sub: user.Attributes!.find((a) => a.Name === 'sub')!.Value!,
      email: user.Attributes!.find((a) => a.Name === 'email')!.Value!,
    }))
  }
  const usersWithEmail = async (email: string) => (await poolUsers()).filter((user) => user.email === email)

  /**
   * For this test's emails, pool users with no grants and no live registration; and grants for
   * subs the pool does not have. (The database is emptied between tests; the pool is not.)
   */
  const expectNoOrphans = async (...emails: string[]) => {
    const pool = await poolUsers()
    const subs = new Set(pool.map((user) => user.sub))
    const ours = pool.filter((user) => emails.includes(user.email)).map((user) => user.sub)
    const granted = new Set(
      (await rowsOf<{ user_id: string }>(database(), sql`SELECT DISTINCT user_id FROM user_role`)).map(
        (r) => r.user_id,
      ),
    )
    const live = new Set(
      (
        await rowsOf<{ user_id: string }>(
          database(),
          sql`SELECT user_id FROM registration WHERE user_id IS NOT NULL
              AND state IN ('pending', 'identity_created', 'compensating', 'needs_attention')`,
        )
      ).map((r) => r.user_id),
    )
    expect(ours.filter((sub) => !granted.has(sub) && !live.has(sub))).toEqual([])
    expect([...granted].filter((sub) => !subs.has(sub))).toEqual([])
  }

  it('registers a pool user with a verified email and grants its roles (201)', async () => {
    const email = uniqueEmail('pool')
    const response = await register(email)
    expect(response.statusCode).toBe(201)
    const [user] = await usersWithEmail(email)
    expect(response.json().user_id).toBe(user!.sub)
    expect(proxy.requests.filter((r) => r.operation === 'AdminCreateUser')).toHaveLength(1)
    expect(proxy.requests.find((r) => r.operation === 'AdminCreateUser')!.input).toMatchObject({
      Username: email,
      UserAttributes: expect.arrayContaining([{ Name: 'email_verified', Value: 'true' }]),
    })
    await expectNoOrphans(email)
  })

  it('answers 409 for an email the pool already has and creates no second user', async () => {
    const email = uniqueEmail('dup')
    expect((await register(email)).statusCode).toBe(201)
    const again = await register(email)
    expect(again.statusCode).toBe(409)
    expect(again.json().detail).toBe(`User with email ${email} already exists`)
    expect(await usersWithEmail(email)).toHaveLength(1)
    await expectNoOrphans(email)
  })

  it('deletes the pool user again when role assignment fails definitively', async () => {
    const email = uniqueEmail('rollback')
    await injectDatabaseFault(database(), 'user_role', 'P0001', 1)
    const response = await register(email)
    expect(response.statusCode).toBe(500)
    expect(response.json().detail).toMatch(
      /^Failed to set user roles for user [0-9a-f-]{36}\. User has been deleted\.$/,
    )
    expect(await usersWithEmail(email)).toEqual([])
    expect(proxy.requests.find((r) => r.operation === 'AdminDeleteUser')!.input).toMatchObject({
      Username: email,
    })
    await expectNoOrphans(email)
  })

  it('finishes the rollback in the background when AdminDeleteUser answers 503 for a while', async () => {
    const email = uniqueEmail('rollback-503')
    await injectDatabaseFault(database(), 'user_role', 'P0001', 1)
    proxy.fail('AdminDeleteUser', { kind: 'unavailable' }, { times: 2 })
    const response = await register(email)
    expect(response.statusCode).toBe(500)
    expect(response.json().detail).toMatch(/rollback also failed \(.+\)\. Manual cleanup required\.$/)
    await waitForState(database(), response.json().registrationId, 'rolled_back')
    expect(await usersWithEmail(email)).toEqual([])
    await expectNoOrphans(email)
  })

  it.each([
    ['a 503 from AdminCreateUser', { kind: 'unavailable' as const }, 6],
    ['TooManyRequestsException from AdminCreateUser', { kind: 'throttle' as const }, 6],
    ['a dropped connection on AdminCreateUser', { kind: 'reset' as const }, 4],
  ])('completes after %s, with exactly one pool user', async (_label, fault, times) => {
    const email = uniqueEmail('fault')
    proxy.fail('AdminCreateUser', fault, { times })
    const response = await register(email)
    expect([201, 202]).toContain(response.statusCode)
    if (response.statusCode === 202)
      await waitForState(database(), response.json().registration_id, 'completed')
    expect(await usersWithEmail(email)).toHaveLength(1)
    await expectNoOrphans(email)
  })

  it.each([
    ['CodeDeliveryFailureException after the user was created', { kind: 'code-delivery-failure' as const }],
    ['a create that outlives the client timeout but still lands', { kind: 'delay' as const, ms: 1_500 }],
  ])('adopts the user an ambiguous create made: %s', async (_label, fault) => {
    const email = uniqueEmail('ambiguous')
    proxy.fail('AdminCreateUser', fault, { times: 1 })
    const response = await register(email)
    expect([201, 202]).toContain(response.statusCode)
    const registrationId = response.json().registration_id
    const [registration] = await rowsOf<{ id: string; state: string }>(
      database(),
      sql`SELECT id, state FROM registration WHERE email_normalised = ${email}`,
    )
    if (registration!.state !== 'completed')
      await waitForState(database(), registrationId ?? registration!.id, 'completed')
    await proxy.idle()
    const users = await usersWithEmail(email)
    expect(users).toHaveLength(1)
    await expectNoOrphans(email)
  })

  it('answers 429 with Retry-After on the phase-1 endpoint while Cognito keeps throttling', async () => {
    proxy.fail('AdminCreateUser', { kind: 'throttle' })
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/users',
      headers,
      payload: {
        email: uniqueEmail('phase'),
        name: 'Phase One',
        organisation: 'Org',
        roles: [RESEARCHER_ROLE_ID],
      },
    })
    expect(response.statusCode).toBe(429)
    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(response.json().code).toBe('idp.throttled')
  })

  it.skipIf(target.kind === 'pglite').each([
    ['paced at the quota', CREATE_RATE],
    ['when the real quota is below our configured rate', 12],
  ])(
    'completes 200 registrations %s, never above our rate, losing no row',
    async (label, quota) => {
      proxy.throttleAbove('AdminCreateUser', quota)
      const emails = Array.from({ length: 200 }, (_, i) => uniqueEmail(`bulk${i}`))
      const statuses: number[] = []
      const queue = [...emails]
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let email = queue.shift(); email; email = queue.shift())
            statuses.push((await register(email)).statusCode)
        }),
      )
      expect(statuses.every((status) => status === 201 || status === 202)).toBe(true)
      for (const [index, email] of emails.entries()) {
        const [registration] = await rowsOf<{ id: string; state: string }>(
          database(),
          sql`SELECT id, state FROM registration WHERE email_normalised = ${email.toLowerCase()}`,
        )
        expect(registration, `row ${index}`).toBeDefined()
        if (registration!.state !== 'completed')
          await waitForState(database(), registration!.id, 'completed', 90_000)
      }
      const creates = proxy.requests.filter((r) => r.operation === 'AdminCreateUser')
      const rejected = creates.filter((r) => r.outcome === 'throttled-by-rate').length
      const busiest = busiestWindow(creates)
      if (process.env.PRINT_PACING) {
        process.stdout.write(
          `200 registrations ${label} (quota ${quota}/s, paced at ${CREATE_RATE}/s): ${creates.length} AdminCreateUser calls, ` +
            `busiest 1 s window ${busiest}, ${rejected} throttled\n`,
        )
      }
      expect(busiest).toBeLessThanOrEqual(CREATE_RATE)
      expect(busiestWindow(creates.filter((r) => r.outcome === 'forwarded'))).toBeLessThanOrEqual(quota)
      const pool = new Set((await poolUsers()).map((user) => user.email))
      expect(emails.filter((email) => !pool.has(email))).toEqual([])
      await expectNoOrphans(...emails)
    },
    180_000,
  )
})
