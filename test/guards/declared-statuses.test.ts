import Fastify, { type FastifyBaseLogger } from 'fastify'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../src/db/database.js'
import { type DeclaredStatusMode, registerDeclaredStatusGuard } from '../../src/http/declared-status-guard.js'
import { problemResponses } from '../../src/http/problem.js'
import { createTestApp, type TestApp } from '../support/test-app.js'
import { openTestPglite } from '../support/test-database.js'

const isDocs = (url: string) => url.startsWith('/api/docs')
const carriesBody = (method: string) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)

/**
 * What a route can answer before (or whatever) its handler does, from how the app is built:
 * - any route: 500, an unexpected error;
 * - an authenticated one: 401 (no or a bad token), 403 (no permission, a disabled account, the MFA
 *   gate), and the account-status gate's reading of the IdP on every request (http/
 *   account-status-gate.ts): 429 throttled, 503 unavailable, 500;
 * - one whose method carries a body (POST, PUT, PATCH, DELETE), schema or not: Fastify parses it
 *   first, so 400 (bad JSON), 413 (over 1 MiB), 415 (not JSON); with a body schema, 422 too;
 * - one that validates its path, query or headers: 422 (and 400 for a path it cannot decode).
 * A route's own statuses (201, 404, 409, …) only running it can show: the runtime guard
 * (http/declared-status-guard.ts, strict under the test runner) fails every test that sees one
 * undeclared.
 */
const requiredStatuses = (route: TestApp['app']['declaredRoutes'][number], isPublic: boolean) => {
  const required = new Set([500])
  if (!isPublic) for (const status of [401, 403, 429, 503]) required.add(status)
  if (carriesBody(route.method)) for (const status of [400, 413, 415]) required.add(status)
  if (route.validates.body) required.add(422)
  if (route.validates.params) for (const status of [400, 422]) required.add(status)
  if (route.validates.querystring || route.validates.headers) required.add(422)
  return [...required].sort()
}

describe('the statuses every route declares', () => {
  let database: Database
  let t: TestApp
  beforeAll(async () => {
    database = await openTestPglite()
    t = await createTestApp(database)
  })
  afterAll(async () => {
    await t.close()
    await database.close()
  })

  it('gives every route but the docs pages a response schema', () => {
    const without = t.app.declaredRoutes
      .filter((route) => route.declared === undefined && !isDocs(route.url))
      .map((route) => `${route.method} ${route.url}`)
    expect(without).toEqual([])
    expect(t.app.declaredRoutes.length).toBeGreaterThanOrEqual(20)
  })

  it('declares what authentication, the account-status gate, body parsing and validation can answer', () => {
    const publicRoutes = new Set(
      t.app.routeInventory.filter((route) => route.public).map((route) => `${route.method} ${route.url}`),
    )
    const missing = t.app.declaredRoutes
      .filter((route) => route.declared !== undefined && !isDocs(route.url))
      .flatMap((route) => {
        const name = `${route.method} ${route.url}`
        const absent = requiredStatuses(route, publicRoutes.has(name)).filter(
          (status) => !route.declared!.includes(String(status)),
        )
        return absent.length > 0 ? [`${name} does not declare ${absent.join(', ')}`] : []
      })
    expect(missing).toEqual([])
  })

  it('runs the guard strict under the test runner, so every route test checks its answers', async () => {
    // A 404 from the router has no route, hence nothing declared to break.
    const unknown = await t.app.inject({ method: 'GET', url: '/api/no-such-route' })
    expect(unknown.statusCode).toBe(404)
    expect(process.env.VITEST).toBeDefined()
  })
})

/** A tiny app with the guard and one route that answers whatever status it is asked for. */
const tinyApp = async (mode: DeclaredStatusMode) => {
  const logged: { level: number; msg: string; status?: number; route?: string }[] = []
  const log = pino({ level: 'info' }, { write: (line: string) => logged.push(JSON.parse(line)) })
  const app = Fastify({ loggerInstance: log as FastifyBaseLogger })
  registerDeclaredStatusGuard(app, mode)
  app.get<{ Querystring: { status: string } }>(
    '/answer',
    {
      schema: { response: { 200: { type: 'object' }, ...problemResponses(404), '5xx': { type: 'object' } } },
    },
    async (request, reply) => {
      const status = Number(request.query.status)
      return reply.code(status).send({ type: 'about:blank', title: 'Answer', status, detail: 'as asked' })
    },
  )
  await app.ready()
  const answer = (status: number) => app.inject({ method: 'GET', url: `/answer?status=${status}` })
  return { app, answer, errors: () => logged.filter((entry) => entry.level >= 50) }
}

describe('the declared-status guard', () => {
  it('fails loudly on a status the route does not declare: logged at error, and a 500 in strict mode', async () => {
    const { app, answer, errors } = await tinyApp('strict')
    const response = await answer(418)
    expect(response.statusCode).toBe(500)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.json()).toMatchObject({
      status: 500,
      code: 'response.undeclared_status',
      detail: 'GET /answer answered 418, which its schema.response does not declare',
    })
    expect(errors()).toMatchObject([{ route: 'GET /answer', status: 418 }])
    await app.close()
  })

  it('lets declared statuses through: exact ones, and a class such as 5xx', async () => {
    const { app, answer, errors } = await tinyApp('strict')
    for (const status of [200, 404, 503]) expect((await answer(status)).statusCode).toBe(status)
    expect(errors()).toEqual([])
    await app.close()
  })

  it('only logs in log mode, and does nothing when off', async () => {
    const logging = await tinyApp('log')
    expect((await logging.answer(418)).statusCode).toBe(418)
    expect(logging.errors()).toHaveLength(1)
    await logging.app.close()
    const off = await tinyApp('off')
    expect((await off.answer(418)).statusCode).toBe(418)
    expect(off.errors()).toEqual([])
    await off.app.close()
  })
})
