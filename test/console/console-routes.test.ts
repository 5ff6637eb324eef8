import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/config.js'
import { consoleContentSecurityPolicy } from '../../src/features/console/console-assets.js'
import { CONSOLE_CODE_TTL_SECONDS } from '../../src/features/console/console-sign-in.js'
import { bearer, createAdmin } from '../support/factories.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { testConfig } from '../support/test-app.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

/** Moves when a test says so: how a code's ten minutes pass without waiting them. */
const offset = { ms: 0 }
const clock = { now: () => new Date(Date.now() + offset.ms) }

/** `/console` and the one-time link's exchange (the page itself is driven in console.browser.test.ts). */
describe.each(databaseTargets())('the console routes on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    const s = useScriptedTestApp(database, { clock })

    const exchange = (code: string) =>
      s.t.app.inject({ method: 'POST', url: '/api/console/sessions', payload: { code } })

    it('serves the page and its module scripts with a CSP that allows only its own files', async () => {
      // The run's global set-up builds dist/ when src/ is newer (test/support/build-if-stale.ts).
      const page = await s.t.app.inject({ method: 'GET', url: '/console' })
      if (page.statusCode === 404) throw new Error(`the console is not built: ${page.body}`)
      expect(page.statusCode).toBe(200)
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
      const csp = String(page.headers['content-security-policy'])
      expect(csp).toContain("script-src 'self'")
      expect(csp).toContain("style-src 'self'")
      expect(csp).toContain("connect-src 'self'")
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).not.toContain('unsafe-inline')
      // No inline script or style: the page works under that policy.
      expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=/)
      expect(page.body).toContain('<script type="module" src="/console/main.js"></script>')

      const script = await s.t.app.inject({ method: 'GET', url: '/console/main.js' })
      expect(script.statusCode).toBe(200)
      expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8')
      const styles = await s.t.app.inject({ method: 'GET', url: '/console/console.css' })
      expect(styles.headers['content-type']).toBe('text/css; charset=utf-8')
    })

    it('answers 404 problem+json for a file the console does not have, never a path outside it', async () => {
      for (const url of ['/console/nope.js', '/console/..%2Fpackage.json', '/console/tsconfig.json']) {
        const response = await s.t.app.inject({ method: 'GET', url })
        expect(response.statusCode).toBe(404)
        expect(response.json()).toMatchObject({ code: 'route.not_found', detail: expect.any(String) })
      }
    })

    it('tells the page the backend and that there is no Hosted UI with the local backend', async () => {
      const response = await s.t.app.inject({ method: 'GET', url: '/console/config.json' })
      expect(response.json()).toEqual({ backend: 'local', hostedUi: null })
    })

    it('exchanges a one-time code once for a session token that works on the API', async () => {
      const admin = await createAdmin(s.t.deps)
      const code = s.t.app.consoleSignIn.issueCode(admin)
      const first = await exchange(code)
      expect(first.statusCode).toBe(200)
      const session = first.json()
      expect(session).toMatchObject({ token_type: 'Bearer', expires_in: 8 * 3600, email: admin.email })
      const me = await s.t.app.inject({
        method: 'GET',
        url: '/api/users/me',
        headers: bearer(session.access_token),
      })
      expect(me.statusCode).toBe(200)
      expect(me.json().email).toBe(admin.email)

      const again = await exchange(code)
      expect(again.statusCode).toBe(401)
      expect(again.json()).toMatchObject({
        code: 'console.code_invalid',
        detail: expect.stringContaining('used'),
      })
    })

    it('refuses a code after its ten minutes, and one it never issued', async () => {
      const admin = await createAdmin(s.t.deps)
      const code = s.t.app.consoleSignIn.issueCode(admin)
      offset.ms = (CONSOLE_CODE_TTL_SECONDS + 1) * 1000
      try {
        expect((await exchange(code)).json()).toMatchObject({ status: 401, code: 'console.code_invalid' })
      } finally {
        offset.ms = 0
      }
      expect((await exchange('x'.repeat(43))).statusCode).toBe(401)
    })

    it('answers 422 for a body that is not a code, and issues nothing', async () => {
      const response = await s.t.app.inject({
        method: 'POST',
        url: '/api/console/sessions',
        payload: { code: 'short', extra: 1 },
      })
      expect(response.statusCode).toBe(422)
      expect(response.json().detail).toEqual(expect.any(String))
    })
  })
})

describe('the console with Cognito', () => {
  const cognito = {
    AUTH_BACKEND: 'cognito',
    AWS_REGION: 'eu-west-2',
    AWS_COGNITO_USER_POOL_ID: 'eu-west-2_AbC123',
    AWS_COGNITO_APP_CLIENT_ID: 'abc123client',
  }

  it('reads COGNITO_DOMAIN as the Hosted UI, without a trailing slash', () => {
    const config = testConfig({
      ...cognito,
      COGNITO_DOMAIN: 'https://flip.auth.eu-west-2.amazoncognito.com/',
    })
    expect(config.identity.backend === 'cognito' && config.identity.settings.hostedUiDomain).toBe(
      'https://flip.auth.eu-west-2.amazoncognito.com',
    )
    const withoutDomain = testConfig(cognito).identity
    expect(withoutDomain.backend === 'cognito' && withoutDomain.settings.hostedUiDomain).toBeUndefined()
  })

  it('refuses a COGNITO_DOMAIN that is not an https URL, naming it', () => {
    expect(() => testConfig({ ...cognito, COGNITO_DOMAIN: 'http://flip.auth.example' })).toThrow(ConfigError)
    expect(() => testConfig({ ...cognito, COGNITO_DOMAIN: 'flip.auth' })).toThrow(/COGNITO_DOMAIN/)
  })

  it("lets the page call the Hosted UI's token endpoint and nothing else beyond the service", () => {
    expect(consoleContentSecurityPolicy('https://flip.auth.eu-west-2.amazoncognito.com')).toContain(
      "connect-src 'self' https://flip.auth.eu-west-2.amazoncognito.com;",
    )
    expect(consoleContentSecurityPolicy(undefined)).toContain("connect-src 'self';")
  })
})
