import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_ROLE_ID, RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { createUserRolesRepository } from '../../src/repositories/user-roles-repository.js'
import { type AwsFaultProxy, startAwsFaultProxy } from '../support/aws-fault-proxy.js'
import { cognitoEnv, useCognitoLocal } from '../support/cognito-local.js'
import { bearer } from '../support/factories.js'
import { createTestApp, type TestApp } from '../support/test-app.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

const target =
  databaseTargets().find((candidate) => candidate.kind === 'postgres' && candidate.available) ??
  databaseTargets()[0]!

const sample = (text: string, series: string): number =>
  Number(
    text
      .split('\n')
      .find((line) => line.startsWith(`${series} `))
      ?.slice(series.length + 1) ?? 0,
  )

/**
 * The identity-provider metrics through AUTH_BACKEND=cognito: the real adapter against
 * cognito-local behind a proxy that throttles like Cognito, metered inside the pacing wrapper.
 */
describe(`identity-provider metrics with AUTH_BACKEND=cognito on ${target.kind}`, () => {
  const emulator = useCognitoLocal()
  const database = useTestDatabase(target)
  const stamp = randomUUID().slice(0, 8)
  let t: TestApp
  let proxy: AwsFaultProxy

  beforeAll(async () => {
    const { pool } = emulator()
    proxy = await startAwsFaultProxy(emulator().endpoint)
    t = await createTestApp(database(), {
      env: cognitoEnv(pool, proxy.url, { ENFORCE_MFA: 'false' }),
    })
  })
  afterAll(async () => {
    await t?.close()
    await proxy?.close()
  })

  it('counts Cognito calls and each throttling answer by quota category, and reports the pacing queues', async () => {
    const admin = await t.deps.idp.createUser(`admin.${stamp}@cognito.example.org`, { suppressInvite: true })
    await createUserRolesRepository(database().db).replaceGlobal(admin.id, [ADMIN_ROLE_ID])
    const headers = bearer(await emulator().accessTokenFor(admin.username))
    const before = (await t.app.inject({ method: 'GET', url: '/metrics' })).body

    // Two throttling answers on the create: the pacing wrapper retries both, then it lands.
    proxy.fail('AdminCreateUser', { kind: 'throttle' }, { times: 2 })
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/step/users',
      headers,
      payload: {
        email: `new.${stamp}@cognito.example.org`,
        name: 'N',
        organisation: 'O',
        roles: [RESEARCHER_ROLE_ID],
      },
    })
    expect(response.statusCode).toBe(201)
    const after = (await t.app.inject({ method: 'GET', url: '/metrics' })).body
    const delta = (series: string) => sample(after, series) - sample(before, series)
    expect(delta('flip_users_idp_throttled_total{category="create"}')).toBe(2)
    expect(delta('flip_users_idp_requests_total{operation="createUser",result="Throttled"}')).toBe(2)
    expect(delta('flip_users_idp_requests_total{operation="createUser",result="ok"}')).toBe(1)
    expect(delta('flip_users_idp_request_duration_seconds_count{operation="createUser"}')).toBe(3)
    for (const category of ['create', 'list', 'read', 'write'])
      expect(after).toContain(`flip_users_idp_pacing_queue_depth{category="${category}"} 0`)
  })
})
