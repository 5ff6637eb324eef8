/**
 * The OAuth 2.0 authorization-code flow with PKCE (RFC 7636) against Cognito's Hosted UI, as
 * the console's page runs it. No DOM here, so the URLs it builds are tested under Node too.
 */

export interface HostedUi {
  /** The Hosted UI's base URL (COGNITO_DOMAIN), e.g. https://flip.auth.eu-west-2.amazoncognito.com */
  domain: string
  clientId: string
}

/** What Cognito asks for: an OpenID Connect sign-in with the user's email. */
export const HOSTED_UI_SCOPE = 'openid email'

const base64url = (bytes: Uint8Array): string => {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** A fresh secret of 32 random bytes, base64url: 43 characters, as RFC 7636 §4.1 asks. */
export const randomSecret = (): string => base64url(crypto.getRandomValues(new Uint8Array(32)))

/** The S256 challenge of a verifier: base64url(SHA-256(verifier)). */
export const challengeOf = async (verifier: string): Promise<string> =>
  base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))))

const endpoint = (ui: HostedUi, path: string): URL => new URL(path, `${ui.domain.replace(/\/+$/, '')}/`)

/** Where the page sends the browser to sign in; Cognito comes back to `redirectUri` with `?code&state`. */
export const authorizeUrl = (
  ui: HostedUi,
  request: { redirectUri: string; state: string; challenge: string },
): string => {
  const url = endpoint(ui, 'oauth2/authorize')
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: ui.clientId,
    redirect_uri: request.redirectUri,
    scope: HOSTED_UI_SCOPE,
    state: request.state,
    code_challenge: request.challenge,
    code_challenge_method: 'S256',
  }).toString()
  return url.href
}

/** The token request that exchanges the returned code (a public client: no secret, the verifier instead). */
export const tokenRequest = (
  ui: HostedUi,
  exchange: { redirectUri: string; code: string; verifier: string },
): { url: string; init: RequestInit } => ({
  url: endpoint(ui, 'oauth2/token').href,
  init: {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: ui.clientId,
      redirect_uri: exchange.redirectUri,
      code: exchange.code,
      code_verifier: exchange.verifier,
    }).toString(),
  },
})

/** Where Cognito ends the Hosted UI session and returns to the console. */
export const logoutUrl = (ui: HostedUi, logoutUri: string): string => {
  const url = endpoint(ui, 'logout')
  url.search = new URLSearchParams({ client_id: ui.clientId, logout_uri: logoutUri }).toString()
  return url.href
}
