import { createLocalJWKSet, createRemoteJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose'

/**
 * Refuses a token whose header names no `kid`, or (when `known` is given) one the key set does
 * not hold. jose would otherwise try a key-set's only key for a token without a `kid`; SPEC §3
 * says the key is chosen by `kid`, so a token must say which one signed it.
 */
const requireKid =
  (keys: JWTVerifyGetKey, known?: ReadonlySet<string>): JWTVerifyGetKey =>
  async (header, token) => {
    if (typeof header.kid !== 'string' || (known !== undefined && !known.has(header.kid)))
      throw new errors.JWKSNoMatchingKey()
    return keys(header, token)
  }

/** The service's own keys: known exactly, so a missing or unknown `kid` is simply refused. */
export const localKeySource = (jwks: JSONWebKeySet): JWTVerifyGetKey =>
  requireKid(
    createLocalJWKSet(jwks),
    new Set(jwks.keys.flatMap((key) => (typeof key.kid === 'string' ? [key.kid] : []))),
  )

/**
 * A provider's JWKS over HTTP. Keys are cached for five minutes (FLIP's lifespan); a token with
 * an unknown `kid` triggers one refetch, and `cooldownMs` stops a stream of forged kids from
 * turning into a stream of fetches. A token without a `kid` is refused without a fetch.
 */
export const remoteKeySource = (
  url: URL,
  options: { cooldownMs?: number; timeoutMs?: number } = {},
): JWTVerifyGetKey =>
  requireKid(
    createRemoteJWKSet(url, {
      cacheMaxAge: 300_000,
      cooldownDuration: options.cooldownMs ?? 30_000,
      timeoutDuration: options.timeoutMs ?? 5_000,
    }),
  )
