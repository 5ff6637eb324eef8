import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createContainer } from '../../src/container.js'
import { RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { startRegistrationWorkers } from '../../src/features/register-user/register-user.job.js'
import { buildApp } from '../../src/http/build-app.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import { createPacedIdentityProvider } from '../../src/identity/paced-identity-provider.js'
import { createMetrics } from '../../src/metrics/metrics.js'
import { createRegistrationsRepository } from '../../src/repositories/registrations-repository.js'
import { repoRoot } from '../support/built-cli.js'
import { bearer, createAdmin, tokenFor, uniqueEmail } from '../support/factories.js'
import {
  type ScriptedIdentityProvider,
  scriptIdentityProvider,
} from '../support/scripted-identity-provider.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { createTestApp, testConfig } from '../support/test-app.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

const unavailable = () => new IdentityProviderError('Unavailable', 'The identity provider is unavailable')

/** A sample's value from the Prometheus text, or undefined when the series is absent. */
const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe.each(databaseTargets())('metrics and request ids over HTTP on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    const s = useScriptedTestApp(database)

    const register = (email: string, headers: Record<string, string> = {}) =>
      s.t.app.inject({
        method: 'POST',
        url: '/api/step/users',
        headers: { ...s.headers, ...headers },
        payload: { email, name: 'Test User', organisation: 'Example Org', roles: [RESEARCHER_ROLE_ID] },
      })
    const scrape = async () => {
      const response = await s.t.app.inject({ method: 'GET', url: '/metrics' })
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toMatch(/^text\/plain/)
      return response.body
    }

    it('serves every flip_users metric publicly, moving as registrations are made', async () => {
      const before = await scrape()
      expect((await register(uniqueEmail('m1'))).statusCode).toBe(201)
      s.idp.fail('createUser', unavailable)
      expect((await register(uniqueEmail('m2'))).statusCode).toBe(202)
      s.idp.heal()
      const after = await scrape()
      const delta = (series: string) => (sample(after, series) ?? 0) - (sample(before, series) ?? 0)

      expect(delta('flip_users_registrations_total{outcome="completed"}')).toBe(1)
      expect(delta('flip_users_registrations_total{outcome="accepted"}')).toBe(1)
      expect(delta('flip_users_registrations{state="completed"}')).toBe(1)
      expect(delta('flip_users_registrations{state="pending"}')).toBe(1)
      expect(
        delta('flip_users_saga_step_duration_seconds_count{step="createIdentityUser",result="continue"}'),
      ).toBe(1)
      expect(delta('flip_users_saga_step_duration_seconds_count{step="grantAccess",result="continue"}')).toBe(
        1,
      )
      expect(
        delta('flip_users_saga_step_duration_seconds_count{step="createIdentityUser",result="wait"}'),
      ).toBe(3)
      expect(delta('flip_users_idp_requests_total{operation="createUser",result="ok"}')).toBe(1)
      expect(delta('flip_users_idp_request_duration_seconds_count{operation="createUser"}')).toBe(1)
      expect(
        delta(
          'flip_users_http_request_duration_seconds_count{method="POST",route="/api/step/users",status="201"}',
        ),
      ).toBe(1)
      expect(sample(after, 'flip_users_jobs_queued')).toBeGreaterThanOrEqual(0)
      expect(sample(after, 'flip_users_process_cpu_user_seconds_total')).toBeGreaterThan(0)
      expect(after).toContain('# TYPE flip_users_idp_throttled_total counter')
      expect(after).toContain('# TYPE flip_users_idp_pacing_queue_depth gauge')
    })

    it('has every metric the Grafana dashboard in docs/ queries', async () => {
      const dashboard = readFileSync(path.join(repoRoot, 'docs/grafana-dashboard.json'), 'utf8')
      const queried = new Set(
        [...dashboard.matchAll(/flip_users_[a-z0-9_]+/g)].map(([name]) =>
          name.replace(/_(bucket|count|sum)$/, ''),
        ),
      )
      const declared = new Set([...(await scrape()).matchAll(/^# TYPE (\S+)/gm)].map(([, name]) => name!))
      expect([...queried].filter((name) => !declared.has(name))).toEqual([])
      expect(queried.size).toBeGreaterThan(10)
    })

    it('counts failed identity-provider calls by the kind of failure', async () => {
      const before = await scrape()
      s.idp.fail('createUser', unavailable, { times: 1 })
      expect((await register(uniqueEmail('m3'))).statusCode).toBe(201)
      const after = await scrape()
      // The scripted fault sits outside the metered provider: only the real call is counted.
      expect(
        (sample(after, 'flip_users_idp_requests_total{operation="createUser",result="ok"}') ?? 0) -
          (sample(before, 'flip_users_idp_requests_total{operation="createUser",result="ok"}') ?? 0),
      ).toBe(1)
    })

    it('labels request durations by route pattern, never by the raw path', async () => {
      const id = '6d1da2d7-e510-488c-9085-8608cd817256'
      await s.t.app.inject({ method: 'GET', url: `/api/step/users/${id}`, headers: s.headers })
      const text = await scrape()
      expect(text).toContain('route="/api/step/users/:registrationId",status="404"')
      expect(text).not.toContain(id)
    })

    it('echoes the caller X-Request-Id and repeats it in problem bodies', async () => {
      const response = await s.t.app.inject({
        method: 'GET',
        url: '/api/step/users/6d1da2d7-e510-488c-9085-8608cd817256',
        headers: { ...s.headers, 'x-request-id': 'op-ticket-42' },
      })
      expect(response.statusCode).toBe(404)
      expect(response.headers['x-request-id']).toBe('op-ticket-42')
      expect(response.json().requestId).toBe('op-ticket-42')
    })

    it('takes the trace id of a W3C traceparent, and makes an id when there is none or it is unusable', async () => {
      const traced = await s.t.app.inject({
        method: 'GET',
        url: '/api/health',
        headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      })
      expect(traced.headers['x-request-id']).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
      const fresh = await s.t.app.inject({ method: 'GET', url: '/api/health' })
      expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
      const unusable = await s.t.app.inject({
        method: 'GET',
        url: '/api/nowhere',
        headers: {
          'x-request-id': 'has spaces\tand tabs',
          traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
        },
      })
      expect(unusable.statusCode).toBe(404)
      expect(unusable.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
      expect(unusable.json().requestId).toBe(unusable.headers['x-request-id'])
    })
  })
})

describe.each(databaseTargets())('metrics behind METRICS_TOKEN on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    const token = 'scrape-token-0123456789'
    let t: Awaited<ReturnType<typeof createTestApp>>
    beforeAll(async () => {
      t = await createTestApp(database(), { env: { METRICS_TOKEN: token } })
    })
    afterAll(async () => t.close())

    it('answers 401 without the bearer token or with another, and 200 with it', async () => {
      const missing = await t.app.inject({ method: 'GET', url: '/metrics' })
      expect(missing.statusCode).toBe(401)
      expect(missing.headers['www-authenticate']).toBe('Bearer')
      const wrong = await t.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: bearer('scrape-token-wrong-one'),
      })
      expect(wrong.statusCode).toBe(401)
      // An API token is not the scrape token.
      const admin = await createAdmin(t.deps)
      const apiToken = await t.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: bearer(await tokenFor(t.deps, admin)),
      })
      expect(apiToken.statusCode).toBe(401)
      const right = await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(token) })
      expect(right.statusCode).toBe(200)
      expect(right.body).toContain('flip_users_registrations_total')
    })
  })
})

describe('pacing metrics', () => {
  it('counts each throttling answer per category and reports the calls waiting for a slot', async () => {
    const metrics = createMetrics()
    const inner: ScriptedIdentityProvider = scriptIdentityProvider({
      backend: 'cognito',
      listUsers: async () => ({ users: [] }),
    } as never)
    inner.fail('listUsers', () => new IdentityProviderError('Throttled', 'slow down', { retryAfterMs: 1 }), {
      times: 2,
    })
    const paced = createPacedIdentityProvider(inner, {
      categories: { listUsers: 'list' } as never,
      rates: { list: 5 },
      sleep: async () => {},
      onThrottled: (category) => metrics.idpThrottled.inc({ category }),
    })
    metrics.setSources({
      registrationsByState: async () => new Map(),
      jobsQueued: async () => undefined,
      pacingQueueDepth: () => paced.queueDepth(),
    })
    const calls = [paced.listUsers(), paced.listUsers(), paced.listUsers()]
    const whileQueued = await metrics.registry.metrics()
    expect(sample(whileQueued, 'flip_users_idp_pacing_queue_depth{category="list"}')).toBeGreaterThan(0)
    await Promise.all(calls)
    const text = await metrics.registry.metrics()
    expect(sample(text, 'flip_users_idp_throttled_total{category="list"}')).toBe(2)
    expect(sample(text, 'flip_users_idp_pacing_queue_depth{category="list"}')).toBe(0)
  })
})

/** Lines a pino logger wrote, parsed. */
const captureLog = (level: string) => {
  const lines: Record<string, unknown>[] = []
  const raw: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        raw.push(line)
        lines.push(JSON.parse(line))
      }
      done()
    },
  })
  return { log: pino({ level }, stream), lines, raw }
}

describe.each(databaseTargets())('request ids in background work on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)

    it("logs an inline registration's transitions exactly as its event log holds them, once each", async () => {
      const { log, lines } = captureLog('info')
      const container = await createContainer(testConfig(), log, {
        database: { ...database(), close: async () => {} },
        jobs: { pollingIntervalSeconds: 0.5, retryDelaySeconds: 1, retryDelayMaxSeconds: 2 },
      })
      const app = await buildApp(container.deps)
      try {
        const admin = await createAdmin(container.deps)
        const response = await app.inject({
          method: 'POST',
          url: '/api/step/users',
          headers: { ...bearer(await tokenFor(container.deps, admin)), 'x-request-id': 'inline-1' },
          payload: {
            email: uniqueEmail('inline'),
            name: 'N',
            organisation: 'O',
            roles: [RESEARCHER_ROLE_ID],
          },
        })
        expect(response.statusCode).toBe(201)
        const registrationId = response.json().registration_id as string
        const events = await createRegistrationsRepository(container.deps.db).events(registrationId)
        const logged = lines.filter(
          (l) => l.registrationId === registrationId && l.msg === 'registration transition',
        )
        // Reported from what the writes returned, not read back: the same lines, in order.
        expect(logged.map(({ from, to, actor, reason }) => ({ from, to, actor, reason }))).toEqual(
          events.map((e) => ({ from: e.fromState, to: e.toState, actor: e.actor, reason: e.reason })),
        )
        expect(logged.map((l) => l.to)).toEqual(['pending', 'identity_created', 'completed'])
        expect(logged.every((l) => l.requestId === 'inline-1' && l.attempt === 2)).toBe(true)
      } finally {
        await app.close()
        await container.close()
      }
    })

    it('carries the request id of the POST into the log lines of the job that finishes it', async () => {
      const { log, lines } = captureLog('info')
      const container = await createContainer(testConfig(), log, {
        database: { ...database(), close: async () => {} },
        jobs: { pollingIntervalSeconds: 0.5, retryDelaySeconds: 1, retryDelayMaxSeconds: 2 },
      })
      const idp = scriptIdentityProvider(container.deps.idp)
      const deps = { ...container.deps, idp }
      const app = await buildApp(deps)
      try {
        const admin = await createAdmin(deps)
        idp.fail('createUser', unavailable, { times: 3 })
        const response = await app.inject({
          method: 'POST',
          url: '/api/step/users',
          headers: { ...bearer(await tokenFor(deps, admin)), 'x-request-id': 'onboarding-7f3a' },
          payload: { email: uniqueEmail('bg'), name: 'N', organisation: 'O', roles: [RESEARCHER_ROLE_ID] },
        })
        expect(response.statusCode).toBe(202)
        const registrationId = response.json().registration_id
        // Workers start after the request has queued its job, so the job that finishes the
        // registration is the request's (a sweep's job for it would be a duplicate, dropped).
        await startRegistrationWorkers(deps, deps.saga, deps.jobs)
        const deadline = Date.now() + 30_000
        const completedLine = () =>
          lines.find(
            (l) =>
              l.registrationId === registrationId &&
              l.to === 'completed' &&
              l.msg === 'registration transition',
          )
        while (!completedLine() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
        expect(completedLine()).toMatchObject({
          requestId: 'onboarding-7f3a',
          from: 'identity_created',
          actor: 'worker',
          reason: 'roles granted',
          attempt: expect.any(Number),
        })
        const ours = lines.filter((l) => l.registrationId === registrationId)
        expect(ours.find((l) => l.msg === 'registration job started')).toMatchObject({
          requestId: 'onboarding-7f3a',
        })
        expect(ours.find((l) => l.msg === 'registration job finished')).toMatchObject({
          requestId: 'onboarding-7f3a',
          to: 'completed',
        })
        // The request's own lines carry it as well, its first transition included.
        expect(
          lines.find((l) => l.registrationId === registrationId && l.from === null && l.to === 'pending'),
        ).toMatchObject({ requestId: 'onboarding-7f3a', reason: 'registration requested', actor: admin.id })
        expect(
          lines.find((l) => l.requestId === 'onboarding-7f3a' && l.msg === 'incoming request'),
        ).toBeDefined()
      } finally {
        await app.close()
        await container.close()
      }
    })
  })
})
