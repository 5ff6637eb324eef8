import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Caller, TokenVerifier } from '../auth/token-verifier.js'
import { appError } from '../errors/error-catalogue.js'
import type { AccountStatusGate } from './account-status-gate.js'
import type { MfaGate } from './mfa-gate.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook on every route that is not public. */
    caller?: Caller
  }
  interface FastifyContextConfig {
    /** Marks a route that needs no token. Every other route is authenticated. */
    public?: boolean
    /** Marks the one authenticated route the MFA gate lets through (MFA status). */
    mfaExempt?: boolean
  }
  interface FastifyInstance {
    /** Present when ENFORCE_MFA is on. */
    mfaGate: MfaGate | undefined
  }
}

const DOCS_PREFIX = '/api/docs'

/** True for routes that need no token: those marked public, and the OpenAPI pages. */
export const isPublicRoute = (config: { public?: boolean } | undefined, url: string | undefined): boolean =>
  config?.public === true || url?.startsWith(DOCS_PREFIX) === true

const bearerToken = (request: FastifyRequest): string => {
  const match = /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(request.headers.authorization ?? '')
  if (!match) throw appError('auth.invalid_token', 'Could not validate credentials')
  return match[1]!
}

/** True for the routes the MFA gate lets through. */
export const isMfaExemptRoute = (config: { mfaExempt?: boolean } | undefined): boolean =>
  config?.mfaExempt === true

/**
 * Authenticates every route unless it opts out, so a new route cannot be left open by
 * forgetting a hook. Runs at `onRequest`, before the body is parsed or any handler runs. After the
 * token, the caller's account must be enabled (a disabled account has no authority, on every
 * authenticated route). With an MFA gate (ENFORCE_MFA), every authenticated route but the exempt
 * one also needs an enrolled second factor. Both run before any permission check.
 */
export const registerAuthentication = (
  app: FastifyInstance,
  verifier: TokenVerifier,
  accountStatus: AccountStatusGate,
  mfaGate?: MfaGate,
): void => {
  app.decorate('mfaGate', mfaGate)
  app.addHook('onRequest', async (request) => {
    if (request.is404 || isPublicRoute(request.routeOptions.config, request.routeOptions.url)) return
    request.caller = await verifier.verify(bearerToken(request))
    await accountStatus.check(request.caller)
    if (mfaGate && !isMfaExemptRoute(request.routeOptions.config)) await mfaGate.check(request.caller)
  })
}

/** The authenticated caller of a non-public route. */
export const callerOf = (request: FastifyRequest): Caller => {
  if (!request.caller) throw appError('auth.invalid_token', 'Could not validate credentials')
  return request.caller
}
