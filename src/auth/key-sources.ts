import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose'

/** The service's own keys: known exactly, so an unknown `kid` is simply refused. */
export const localKeySource = (jwks: JSONWebKeySet): JWTVerifyGetKey => createLocalJWKSet(jwks)

/**
 * A provider's JWKS over HTTP. Keys are cached for five minutes (FLIP's lifespan); a token with
 * an unknown `kid` triggers one refetch, and `cooldownMs` stops a stream of forged kids from
 * turning into a stream of fetches.
 */
export const remoteKeySource = (
  url: URL,
  options: { cooldownMs?: number; timeoutMs?: number } = {},
): JWTVerifyGetKey =>
  createRemoteJWKSet(url, {
    cacheMaxAge: 300_000,
    cooldownDuration: options.cooldownMs ?? 30_000,
    timeoutDuration: options.timeoutMs ?? 5_000,
  })
