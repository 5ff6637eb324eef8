import { describe, expect, it } from 'vitest'
import { authorizeUrl, challengeOf, logoutUrl, randomSecret, tokenRequest } from '../../src/console/pkce.js'

const ui = { domain: 'https://flip.auth.eu-west-2.amazoncognito.com/', clientId: 'abc123client' }
const redirectUri = 'https://users.flip.example.org/console'

/** The page's side of the Hosted UI sign-in (there is no Hosted UI emulator: the URLs are the contract). */
describe('the console sign-in with PKCE against the Hosted UI', () => {
  it('derives the S256 challenge of RFC 7636 appendix B from its verifier', async () => {
    expect(await challengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    )
  })

  it('makes fresh 43-character base64url secrets for the verifier and the state', () => {
    const secrets = new Set(Array.from({ length: 20 }, randomSecret))
    expect(secrets.size).toBe(20)
    for (const secret of secrets) expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it("builds the authorize URL on the domain's /oauth2/authorize with the code flow, S256 and our redirect", () => {
    const url = new URL(authorizeUrl(ui, { redirectUri, state: 'st4te', challenge: 'ch4llenge' }))
    expect(`${url.origin}${url.pathname}`).toBe(
      'https://flip.auth.eu-west-2.amazoncognito.com/oauth2/authorize',
    )
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'abc123client',
      redirect_uri: redirectUri,
      scope: 'openid email',
      state: 'st4te',
      code_challenge: 'ch4llenge',
      code_challenge_method: 'S256',
    })
  })

  it('exchanges the code at /oauth2/token as a public client: form-encoded, the verifier instead of a secret', () => {
    const request = tokenRequest(ui, { redirectUri, code: 'the-code', verifier: 'the-verifier' })
    expect(request.url).toBe('https://flip.auth.eu-west-2.amazoncognito.com/oauth2/token')
    expect(request.init.method).toBe('POST')
    expect(request.init.headers).toEqual({ 'content-type': 'application/x-www-form-urlencoded' })
    expect(Object.fromEntries(new URLSearchParams(String(request.init.body)))).toEqual({
      grant_type: 'authorization_code',
      client_id: 'abc123client',
      redirect_uri: redirectUri,
      code: 'the-code',
      code_verifier: 'the-verifier',
    })
  })

  it("signs out at the Hosted UI's /logout and comes back to the console", () => {
    const url = new URL(logoutUrl(ui, redirectUri))
    expect(url.pathname).toBe('/logout')
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'abc123client',
      logout_uri: redirectUri,
    })
  })
})
