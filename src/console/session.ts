import { authorizeUrl, challengeOf, type HostedUi, logoutUrl, randomSecret, tokenRequest } from './pkce.js'

/** What `GET /console/config.json` tells the page about signing in. */
export interface ConsoleConfig {
  /** The identity adapter's name (src/identity/identity-adapters.ts): `local`, `cognito`, … */
  backend: string
  /** Present when COGNITO_DOMAIN is set: sign in through the Hosted UI. */
  hostedUi: HostedUi | null
}

/**
 * The session token lives in sessionStorage: it survives a reload but not the tab, and is never
 * in a cookie, so no other site can make the browser send it (the API reads a bearer token only).
 */
const TOKEN_KEY = 'flip-users.console.token'
const PKCE_KEY = 'flip-users.console.pkce'

export const storedToken = (): string | undefined => sessionStorage.getItem(TOKEN_KEY) ?? undefined
export const storeToken = (token: string): void => sessionStorage.setItem(TOKEN_KEY, token)
export const forgetToken = (): void => sessionStorage.removeItem(TOKEN_KEY)

/** The console's own address without query or fragment: where Cognito sends the browser back. */
export const consoleUrl = (): string => `${location.origin}/console`

const fail = async (response: Response, what: string): Promise<never> => {
  let detail = `${response.status} ${response.statusText}`.trim()
  try {
    const body = (await response.json()) as { detail?: string; error_description?: string; error?: string }
    detail = body.detail ?? body.error_description ?? body.error ?? detail
  } catch {
    // not JSON: keep the status line
  }
  throw new Error(`${what}: ${detail}`)
}

/**
 * The one-time link `serve` prints (`/console#code=…`): the code is in the fragment, which the
 * browser never sends to a server, so it is in no access log. Exchanged once for a session token.
 * @returns the token, or undefined when the address carries no code
 */
export const redeemLinkCode = async (): Promise<string | undefined> => {
  const match = /^#code=([A-Za-z0-9_-]+)$/.exec(location.hash)
  if (!match) return undefined
  // Off the address bar and the history first: the code is spent whether or not this succeeds.
  history.replaceState(null, '', '/console#registrations')
  const response = await fetch('/api/console/sessions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ code: match[1] }),
  })
  if (!response.ok) return fail(response, 'The sign-in link did not work')
  return ((await response.json()) as { access_token: string }).access_token
}

/** Sends the browser to the Hosted UI, remembering the PKCE verifier and state for its return. */
export const startHostedUiSignIn = async (ui: HostedUi): Promise<void> => {
  const verifier = randomSecret()
  const state = randomSecret()
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }))
  location.assign(
    authorizeUrl(ui, { redirectUri: consoleUrl(), state, challenge: await challengeOf(verifier) }),
  )
}

/**
 * Back from the Hosted UI (`/console?code=…&state=…`): checks the state against the one this tab
 * sent (so a forged return is refused) and exchanges the code at the token endpoint.
 * @returns the access token, or undefined when this is not a return from the Hosted UI
 */
export const finishHostedUiSignIn = async (ui: HostedUi | null): Promise<string | undefined> => {
  const params = new URLSearchParams(location.search)
  const code = params.get('code')
  const error = params.get('error')
  if (!ui || (!code && !error)) return undefined
  history.replaceState(null, '', '/console#registrations')
  const saved = sessionStorage.getItem(PKCE_KEY)
  sessionStorage.removeItem(PKCE_KEY)
  if (error) throw new Error(`Cognito refused the sign-in: ${params.get('error_description') ?? error}`)
  const pending = saved ? (JSON.parse(saved) as { verifier: string; state: string }) : undefined
  if (!pending || pending.state !== params.get('state'))
    throw new Error('The sign-in answer does not match a sign-in started in this tab: sign in again.')
  const request = tokenRequest(ui, { redirectUri: consoleUrl(), code: code!, verifier: pending.verifier })
  const response = await fetch(request.url, request.init)
  if (!response.ok) return fail(response, 'Cognito did not issue a token')
  return ((await response.json()) as { access_token: string }).access_token
}

/** Where to go after signing out: the Hosted UI's logout with Cognito, else the console itself. */
export const signedOutUrl = (config: ConsoleConfig): string =>
  config.hostedUi ? logoutUrl(config.hostedUi, consoleUrl()) : '/console'
