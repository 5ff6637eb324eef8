import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../src/db/database.js'
import { bearer, createAdmin, tokenFor } from '../support/factories.js'
import { createTestApp, type TestApp } from '../support/test-app.js'
import { openTestPglite } from '../support/test-database.js'

/** The only API routes anyone may call without a token. Adding one must be a deliberate change here. */
const PUBLIC_ROUTES = [
  'GET /.well-known/jwks.json',
  'GET /api/health',
  'GET /api/ready',
  // The console's page and files (its data calls carry a token), and the one-time link's exchange.
  'GET /console',
  'GET /console/:asset',
  'GET /console/config.json',
  'POST /api/console/sessions',
  'GET /metrics',
  'POST /api/users/access',
]

const isDocs = (url: string) => url.startsWith('/api/docs')
const concrete = (url: string) => url.replace(/:\w+/g, '6d1da2d7-e510-488c-9085-8608cd817256')

describe('route inventory', () => {
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

  it('marks only health, readiness, metrics, JWKS, the docs, the console page and the access request as public', () => {
    const marked = t.app.routeInventory.filter((route) => route.public && !isDocs(route.url))
    expect(marked.map((route) => `${route.method} ${route.url}`).sort()).toEqual([...PUBLIC_ROUTES].sort())
    expect(
      t.app.routeInventory.filter((route) => isDocs(route.url)).every((route) => route.method === 'GET'),
    ).toBe(true)
  })

  it('answers 401 without a token on every other route, before validating anything', async () => {
    const open: string[] = []
    for (const route of t.app.routeInventory.filter((entry) => !entry.public)) {
      const response = await t.app.inject({
        method: route.method as 'GET',
        url: concrete(route.url),
        payload: {},
      })
      if (response.statusCode !== 401) open.push(`${route.method} ${route.url} → ${response.statusCode}`)
    }
    expect(open).toEqual([])
    expect(t.app.routeInventory.filter((entry) => !entry.public).length).toBeGreaterThanOrEqual(6)
  })

  it('exempts only the MFA status route from the MFA gate', () => {
    const exempt = t.app.routeInventory.filter((route) => route.mfaExempt)
    expect(exempt.map((route) => `${route.method} ${route.url}`)).toEqual(['GET /api/users/me/mfa/status'])
    expect(exempt.every((route) => !route.public)).toBe(true)
  })
})

describe('the MFA gate over the route inventory', () => {
  let database: Database
  let t: TestApp
  beforeAll(async () => {
    database = await openTestPglite()
    t = await createTestApp(database, { env: { ENFORCE_MFA: 'true' } })
  })
  afterAll(async () => {
    await t.close()
    await database.close()
  })

  it('answers 403 "MFA enrolment required" to an admin without a factor on every authenticated route but MFA status', async () => {
    const admin = await createAdmin(t.deps)
    const headers = bearer(await tokenFor(t.deps, admin))
    const ungated: string[] = []
    for (const route of t.app.routeInventory.filter((entry) => !entry.public)) {
      const response = await t.app.inject({
        method: route.method as 'GET',
        url: concrete(route.url),
        headers,
        payload: {},
      })
      const gated = response.statusCode === 403 && response.json().detail === 'MFA enrolment required'
      if (gated === route.mfaExempt) ungated.push(`${route.method} ${route.url} → ${response.statusCode}`)
    }
    expect(ungated).toEqual([])
  })
})
