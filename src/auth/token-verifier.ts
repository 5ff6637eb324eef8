import { type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose'
import { LRUCache } from 'lru-cache'
import type { Logger } from 'pino'
import type { Clock } from '../domain/clock.js'
import { isUuid } from '../domain/ids.js'
import { appError } from '../errors/error-catalogue.js'
import type { TokenRules } from './token-rules.js'

/** The authenticated caller. `id` is the token's `sub`, the id used everywhere else. */
export interface Caller {
  id: string
  username: string
}

export interface TokenVerifier {
  /**
   * @throws Unauthenticated with FLIP's detail for any token that is not acceptable;
   *   Internal ("Internal server error during authentication") when keys cannot be fetched.
   */
  verify(token: string): Promise<Caller>
}

// jose codes that mean "this token is not acceptable"; any other failure (the key set could
// not be fetched, an invalid JWKS document) is ours, not the caller's, and is a 500.
const rejectedTokenCodes = new Set([
  'ERR_JWS_INVALID',
  'ERR_JWT_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
])

const couldNotValidate = () => appError('auth.invalid_token', 'Could not validate credentials')

// An RS256 signature check is most of a request's CPU after the database work (about 0.4 ms),
// and a client sends the same token on every request until it expires. A token whose signature
// was checked is trusted again without the check for a minute at most, and never past its `exp`:
// a key withdrawn from the key set stops tokens within that minute. Authority is not cached:
// the account and its grants are read on every request.
const REVERIFY_AFTER_MS = 60_000
const VERIFIED_TOKENS = 1000

/**
 * Verifies RS256 access tokens against a key source (a local key set, or a remote JWKS that is
 * cached and refetched once on an unknown `kid`) and one backend's rules.
 */
export const createTokenVerifier = (deps: {
  keys: JWTVerifyGetKey
  rules: TokenRules
  clock: Clock
  log: Logger
  keySource: string
}): TokenVerifier => {
  const { rules } = deps
  const verified = new LRUCache<string, { payload: JWTPayload; trustUntilMs: number }>({
    max: VERIFIED_TOKENS,
  })

  const verifySignatureAndTime = async (token: string): Promise<JWTPayload> => {
    const nowMs = deps.clock.now().getTime()
    const seen = verified.get(token)
    if (seen !== undefined && nowMs < seen.trustUntilMs) return seen.payload
    const payload = await checkSignatureAndTime(token)
    // `exp` is required, so every token verified here has one (in seconds).
    const expiresMs = (payload.exp ?? 0) * 1000
    verified.set(token, { payload, trustUntilMs: Math.min(expiresMs, nowMs + REVERIFY_AFTER_MS) })
    return payload
  }

  const checkSignatureAndTime = async (token: string): Promise<JWTPayload> => {
    try {
      const { payload } = await jwtVerify(token, deps.keys, {
        algorithms: ['RS256'],
        issuer: rules.issuer,
        ...(rules.audience === undefined ? {} : { audience: rules.audience }),
        requiredClaims: ['exp'],
        currentDate: deps.clock.now(),
      })
      return payload
    } catch (error) {
      const code = (error as { code?: string }).code
      if (code === 'ERR_JWT_EXPIRED') throw appError('auth.token_expired', 'Token has expired')
      if (code !== undefined && rejectedTokenCodes.has(code)) throw couldNotValidate()
      deps.log.error(
        { err: error, keySource: deps.keySource },
        'token verification failed: signing keys unavailable',
      )
      throw appError('auth.verifier_failed', 'Internal server error during authentication', { cause: error })
    }
  }

  return {
    async verify(token) {
      const payload = await verifySignatureAndTime(token)
      if (rules.tokenUse !== undefined && payload.token_use !== rules.tokenUse) throw couldNotValidate()
      if (rules.clientId !== undefined && payload.client_id !== rules.clientId) throw couldNotValidate()
      if (typeof payload.sub !== 'string' || payload.sub === '') {
        throw appError('auth.missing_subject', 'Token missing user identifier')
      }
      if (!isUuid(payload.sub)) throw appError('auth.invalid_subject', 'Invalid user identifier format')
      const username = payload[rules.usernameClaim]
      if (typeof username !== 'string' || username === '') {
        throw appError('auth.missing_username', 'Token missing username claim')
      }
      return { id: payload.sub.toLowerCase(), username }
    },
  }
}
