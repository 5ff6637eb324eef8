import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { VIEWER_ROLE_ID } from '../../src/domain/roles.js'
import { createUser } from '../support/factories.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { rowsOf } from '../support/sql-rows.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

const UI = 'https://flip-ui.example.org'
const DEV_UI = 'http://localhost:3000'
const STRANGER = 'https://evil.example.net'
const SOME_ID = '6d1da2d7-e510-488c-9085-8608cd817256'

const concrete = (url: string) => url.replace(/:\w+/g, SOME_ID)
const isDocs = (url: string) => url.startsWith('/api/docs')
const hasBody = (method: string) => ['POST', 'PUT', 'PATCH'].includes(method)

/** The router's own 404 (no such route), as opposed to a route answering that a resource is missing. */
const isRouteNotFound = (response: { headers: Record<string, unknown>; json: () => { detail?: string } }) =>
  String(response.headers['content-type']).startsWith('application/problem+json') &&
  String(response.json().detail).startsWith('Route ')

/** Python's `str` order, written independently of the service's comparator: code point by code point. */
const byCodePoints = (a: string, b: string): number => {
  const x = Array.from(a, (c) => c.codePointAt(0)!)
  const y = Array.from(b, (c) => c.codePointAt(0)!)
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!
  return x.length - y.length
}

describe.each(databaseTargets())('the HTTP edge on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)

    describe('with CORS_ALLOWED_ORIGINS set', () => {
      const s = useScriptedTestApp(database, {
        env: { CORS_ALLOWED_ORIGINS: `${UI}/, ${DEV_UI}` },
      })
      const preflight = (url: string, origin: string, method = 'POST') =>
        s.t.app.inject({
          method: 'OPTIONS',
          url,
          headers: {
            origin,
            'access-control-request-method': method,
            'access-control-request-headers': 'authorization,content-type,idempotency-key',
          },
        })

      it('answers a preflight from an allowed origin with 204, the methods and headers the UI sends, and no token', async () => {
        for (const [url, method] of [
          ['/api/step/users', 'POST'],
          [`/api/users/${SOME_ID}`, 'PUT'],
          [`/api/users/${SOME_ID}`, 'DELETE'],
          [`/api/users/access/${SOME_ID}`, 'PATCH'],
          ['/api/users?pageNumber=1', 'GET'],
        ] as const) {
          const response = await preflight(url, UI, method)
          expect(response.statusCode, url).toBe(204)
          expect(response.headers['access-control-allow-origin']).toBe(UI)
          const methods = String(response.headers['access-control-allow-methods']).split(/,\s*/)
          expect(methods).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']))
          const allowed = String(response.headers['access-control-allow-headers']).toLowerCase().split(/,\s*/)
          expect(allowed).toEqual(
            expect.arrayContaining(['authorization', 'content-type', 'idempotency-key']),
          )
          expect(response.headers['access-control-allow-credentials']).toBeUndefined()
          expect(response.body).toBe('')
        }
        // Every route, whatever its authentication, MFA or account checks: a preflight carries no token.
        const refused: string[] = []
        for (const route of s.t.app.routeInventory) {
          const response = await preflight(concrete(route.url), UI, route.method)
          if (response.statusCode !== 204 || response.headers['access-control-allow-origin'] !== UI)
            refused.push(`${route.method} ${route.url} → ${response.statusCode}`)
        }
        expect(refused).toEqual([])
        expect((await preflight('/api/users', DEV_UI, 'GET')).headers['access-control-allow-origin']).toBe(
          DEV_UI,
        )
      })

      it('lets an allowed origin read the answer and its Location header', async () => {
        const response = await s.t.app.inject({
          method: 'GET',
          url: '/api/users',
          headers: { ...s.headers, origin: UI },
        })
        expect(response.statusCode).toBe(200)
        expect(response.headers['access-control-allow-origin']).toBe(UI)
        expect(String(response.headers.vary)).toMatch(/origin/i)
        const exposed = String(response.headers['access-control-expose-headers']).split(/,\s*/)
        expect(exposed).toEqual(expect.arrayContaining(['Location', 'Retry-After', 'X-Request-Id']))
      })

      it('gives any other origin no Access-Control-Allow-Origin, on a preflight or a request', async () => {
        const pre = await preflight('/api/users', STRANGER, 'GET')
        expect(pre.headers['access-control-allow-origin']).toBeUndefined()
        for (const origin of [STRANGER, 'https://flip-ui.example.org.evil.net', 'null', `${UI}:8443`]) {
          const response = await s.t.app.inject({
            method: 'GET',
            url: '/api/users',
            headers: { ...s.headers, origin },
          })
          expect(response.statusCode).toBe(200)
          expect(response.headers['access-control-allow-origin'], origin).toBeUndefined()
        }
      })

      it('still refuses the request itself without a token: the preflight is the only thing let through', async () => {
        const response = await s.t.app.inject({ method: 'GET', url: '/api/users', headers: { origin: UI } })
        expect(response.statusCode).toBe(401)
        expect(response.headers['access-control-allow-origin']).toBe(UI)
      })
    })

    describe('with the default configuration', () => {
      const s = useScriptedTestApp(database)
      const inventory = () => s.t.app.routeInventory.filter((route) => !isDocs(route.url))
      const authenticated = () => inventory().filter((route) => !route.public)

      it('answers no origin with CORS when no origins are configured', async () => {
        const response = await s.t.app.inject({
          method: 'OPTIONS',
          url: '/api/users',
          headers: { origin: UI, 'access-control-request-method': 'GET' },
        })
        expect(response.headers['access-control-allow-origin']).toBeUndefined()
        expect(response.statusCode).toBe(404)
      })

      it('sends the JSON API security headers and no-store on every authenticated route, problems included', async () => {
        const missing: string[] = []
        for (const route of authenticated()) {
          for (const headers of [s.headers, {}]) {
            const response = await s.t.app.inject({
              method: route.method as 'GET',
              url: concrete(route.url),
              headers,
              ...(hasBody(route.method) ? { payload: {} } : {}),
            })
            const h = response.headers
            const ok =
              h['x-content-type-options'] === 'nosniff' &&
              h['referrer-policy'] === 'no-referrer' &&
              String(h['content-security-policy']).includes("frame-ancestors 'none'") &&
              h['cache-control'] === 'no-store'
            if (!ok)
              missing.push(`${route.method} ${route.url} → ${response.statusCode} ${JSON.stringify(h)}`)
          }
        }
        expect(missing).toEqual([])
        const list = await s.t.app.inject({ method: 'GET', url: '/api/users', headers: s.headers })
        expect(list.statusCode).toBe(200)
        expect(list.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'")
        expect(list.headers['x-frame-options']).toBe('DENY')
        for (const url of ['/api/no-such-route', '/api/health']) {
          const other = await s.t.app.inject({ method: 'GET', url })
          expect(other.headers['x-content-type-options'], url).toBe('nosniff')
          expect(other.headers['cache-control'], url).toBe('no-store')
        }
      })

      it('keeps the OpenAPI page working under its own policy, which still refuses framing', async () => {
        const page = await s.t.app.inject({ method: 'GET', url: '/api/docs/' })
        expect(page.statusCode).toBe(200)
        expect(page.headers['content-type']).toMatch(/^text\/html/)
        const policy = String(page.headers['content-security-policy'])
        expect(policy).toContain("frame-ancestors 'none'")
        expect(policy).toContain("script-src 'self'")
        expect(policy).not.toContain('upgrade-insecure-requests')
        expect(page.headers['x-content-type-options']).toBe('nosniff')
        for (const src of page.body.match(/(?<=(src|href)=")[^"]+/g) ?? []) {
          const asset = await s.t.app.inject({
            method: 'GET',
            url: new URL(src, 'http://x/api/docs/').pathname,
          })
          expect(asset.statusCode, src).toBe(200)
        }
        const spec = await s.t.app.inject({ method: 'GET', url: '/api/docs/json' })
        expect(spec.statusCode).toBe(200)
        expect(spec.json().openapi).toBe('3.1.0')
        expect((await s.t.app.inject({ method: 'GET', url: '/api/docs' })).statusCode).toBe(200)
      })

      it('answers a text/plain body with 415 problem+json and a detail on every route that takes a body, writing nothing', async () => {
        const counts = () =>
          rowsOf(
            database(),
            sql`SELECT (SELECT count(*) FROM registration)::int AS registrations,
                       (SELECT count(*) FROM access_request)::int AS requests,
                       (SELECT count(*) FROM users_audit)::int AS audits`,
          )
        const before = await counts()
        const wrong: string[] = []
        for (const route of inventory().filter((entry) => hasBody(entry.method))) {
          for (const contentType of ['text/plain', 'text/plain; charset=utf-8', 'application/xml']) {
            const response = await s.t.app.inject({
              method: route.method as 'POST',
              url: concrete(route.url),
              headers: { ...s.headers, 'content-type': contentType },
              payload: JSON.stringify({
                email: 'plain@example.org',
                name: 'P',
                organisation: 'O',
                roles: [],
              }),
            })
            const body = response.json()
            if (
              response.statusCode !== 415 ||
              !String(response.headers['content-type']).startsWith('application/problem+json') ||
              typeof body.detail !== 'string' ||
              body.code !== 'request.unsupported_media_type'
            )
              wrong.push(
                `${route.method} ${route.url} ${contentType} → ${response.statusCode} ${response.body}`,
              )
          }
        }
        expect(wrong).toEqual([])
        expect(inventory().filter((entry) => hasBody(entry.method)).length).toBeGreaterThanOrEqual(8)
        expect(await counts()).toEqual(before)
      })

      it('registers through POST /api/step/users/ and lists through GET /api/users/', async () => {
        const registered = await s.t.app.inject({
          method: 'POST',
          url: '/api/step/users/',
          headers: s.headers,
          payload: {
            email: 'slash@example.org',
            name: 'Slash',
            organisation: 'Trail',
            roles: [VIEWER_ROLE_ID],
          },
        })
        expect(registered.statusCode).toBe(201)
        expect(registered.json()).toMatchObject({ email: 'slash@example.org', roles: [VIEWER_ROLE_ID] })
        const listed = await s.t.app.inject({
          method: 'GET',
          url: '/api/users/?pageSize=50',
          headers: s.headers,
        })
        expect(listed.statusCode).toBe(200)
        expect(listed.json().data.map((user: { email: string }) => user.email)).toContain('slash@example.org')
      })

      it('answers every route the same with a trailing slash', async () => {
        const differ: string[] = []
        for (const route of inventory()) {
          const call = (url: string) =>
            s.t.app.inject({
              method: route.method as 'GET',
              url,
              headers: s.headers,
              ...(hasBody(route.method) ? { payload: {} } : {}),
            })
          const plain = await call(concrete(route.url))
          const slashed = await call(`${concrete(route.url)}/`)
          // A 404 for a resource that is not there is an answer; a 404 for the route is not.
          if (plain.statusCode !== slashed.statusCode || isRouteNotFound(slashed))
            differ.push(`${route.method} ${route.url}: ${plain.statusCode} vs ${slashed.statusCode}`)
        }
        expect(differ).toEqual([])
      })

      it("refuses a non-UUID path id with 422 'Input should be a valid UUID' on every route with an id", async () => {
        const wrong: string[] = []
        // The API's ids (a console file name is not one).
        for (const route of inventory().filter((entry) => /^\/api\/.*:\w+/.test(entry.url))) {
          const response = await s.t.app.inject({
            method: route.method as 'GET',
            url: route.url.replace(/:\w+/g, 'not-a-uuid'),
            headers: s.headers,
            ...(hasBody(route.method) ? { payload: {} } : {}),
          })
          const body = response.json()
          const param = /:(\w+)/.exec(route.url)![1]!
          const issue = body.errors?.find((entry: { loc: unknown[] }) => entry.loc[0] === 'params')
          if (
            response.statusCode !== 422 ||
            !String(response.headers['content-type']).startsWith('application/problem+json') ||
            JSON.stringify(issue) !==
              JSON.stringify({
                loc: ['params', param],
                msg: 'Input should be a valid UUID',
                type: 'uuid_parsing',
              })
          )
            wrong.push(`${route.method} ${route.url} → ${response.statusCode} ${response.body}`)
        }
        expect(wrong).toEqual([])
        const one = await s.t.app.inject({ method: 'GET', url: '/api/users/12345', headers: s.headers })
        expect(one.json()).toMatchObject({
          status: 422,
          detail: 'Validation error: params.userId: Input should be a valid UUID',
          code: 'request.invalid',
        })
      })

      it('sorts GET /api/users by email in code-point order, as Python sorts strings', async () => {
        const emails = [
          'p1_a@sort.example.org',
          'p10_a@sort.example.org',
          'p2_a@sort.example.org',
          'lst_x@sort.example.org',
          'lst-x@sort.example.org',
          'lst.x@sort.example.org',
          'lstx@sort.example.org',
          'o9@sort.example.org',
        ]
        for (const email of emails) await createUser(s.t.deps, [VIEWER_ROLE_ID], email)
        const seen: string[] = []
        for (let page = 1; page <= 4; page++) {
          const response = await s.t.app.inject({
            method: 'GET',
            url: `/api/users?search=sort.example.org&pageSize=3&pageNumber=${page}`,
            headers: s.headers,
          })
          seen.push(...response.json().data.map((user: { email: string }) => user.email))
        }
        const expected = [...emails].sort(byCodePoints)
        expect(seen).toEqual(expected)
        // The two cases the issue names, spelled out.
        expect(seen.indexOf('p10_a@sort.example.org')).toBeLessThan(seen.indexOf('p1_a@sort.example.org'))
        expect(seen.indexOf('lst-x@sort.example.org')).toBeLessThan(seen.indexOf('lst_x@sort.example.org'))
      })
    })
  })
})
