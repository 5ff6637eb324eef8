import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type CryptoKey,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JSONWebKeySet,
  type JWTPayload,
  SignJWT,
} from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { bearer, createAdmin, tokenFor } from '../../test/support/factories.js'
import { createTestApp, silentLog, type TestApp } from '../../test/support/test-app.js'
import { openTestPglite } from '../../test/support/test-database.js'
import type { Database } from '../db/database.js'
import type { Clock } from '../domain/clock.js'
import { AppError } from '../errors/app-error.js'
import { cognitoJwksUrl, cognitoTokenRules } from '../identity/cognito/cognito-token-rules.js'
import { localTokenRules } from '../identity/local/local-token-rules.js'
import { localKeySource, remoteKeySource } from './key-sources.js'
import { loadLocalSigningKeys } from './local-signing-keys.js'
import type { TokenRules } from './token-rules.js'
import { createTokenVerifier, type TokenVerifier } from './token-verifier.js'

const NOW = new Date('2025-06-01T12:00:00Z')
const nowSeconds = Math.floor(NOW.getTime() / 1000)
const fixedClock: Clock = { now: () => NOW }

const USER_ID = '3b241101-e2bb-4255-8caf-4136c566a962'
const LOCAL_ISSUER = 'flip-users'
const COGNITO = {
  issuer: 'https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_TESTPOOL',
  appClientId: 'client123',
}

interface SigningKey {
  kid: string
  privateKey: CryptoKey
  publicKey: CryptoKey
  jwks: JSONWebKeySet
}

const makeKey = async (kid: string): Promise<SigningKey> => {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }
  return { kid, privateKey, publicKey, jwks: { keys: [jwk] } }
}

/** Signed by `key` with a header that names no `kid` at all. */
const signWithoutKid = (privateKey: CryptoKey | Parameters<SignJWT['sign']>[0], claims: JWTPayload) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(privateKey)

const sign = (key: SigningKey, claims: JWTPayload, header: { kid?: string } = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: header.kid ?? key.kid })
    .sign(key.privateKey)

/** Claims of a good local access token, as the service's own issuer mints them. */
const localClaims = (overrides: JWTPayload = {}): JWTPayload => ({
  sub: USER_ID,
  iss: LOCAL_ISSUER,
  aud: 'flip-users',
  token_use: 'access',
  client_id: 'flip-users',
  username: 'alice@example.org',
  iat: nowSeconds - 60,
  exp: nowSeconds + 600,
  ...overrides,
})

/** Claims of a Cognito access token for the configured app client. */
const cognitoClaims = (overrides: JWTPayload = {}): JWTPayload => ({
  sub: USER_ID,
  iss: COGNITO.issuer,
  client_id: COGNITO.appClientId,
  token_use: 'access',
  username: 'user@example.com',
  iat: nowSeconds - 60,
  exp: nowSeconds + 600,
  ...overrides,
})

const verifierFor = (keys: Parameters<typeof createTokenVerifier>[0]['keys'], rules: TokenRules) =>
  createTokenVerifier({ keys, rules, clock: fixedClock, log: silentLog, keySource: 'test keys' })

/** The AppError a rejected verification throws (fails the test if it resolves). */
const rejectionOf = async (verifier: TokenVerifier, token: string): Promise<AppError> => {
  const error = await verifier.verify(token).then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(AppError)
  return error as AppError
}

const unsignedToken = (header: object, claims: object) =>
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`

/** A JWKS endpoint on loopback that counts its requests and can change what it serves. */
interface JwksServer {
  url: URL
  fetches: number
  serve(jwks: JSONWebKeySet): void
  close(): Promise<void>
}

const startJwksServer = async (initial: JSONWebKeySet): Promise<JwksServer> => {
  let current = initial
  const state = { fetches: 0 }
  const server: Server = createServer((_request, response) => {
    state.fetches += 1
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify(current))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`),
    get fetches() {
      return state.fetches
    },
    serve(jwks) {
      current = jwks
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

describe('a token whose signature was checked', () => {
  let key: SigningKey
  beforeAll(async () => {
    key = await makeKey('cached-key')
  })

  /** A verifier on a clock the test moves, over the key set, counting the signature checks. */
  const countingVerifier = () => {
    const clock = { at: NOW.getTime() }
    const source = localKeySource(key.jwks)
    const counted = { checks: 0 }
    const verifier = createTokenVerifier({
      keys: (...args) => {
        counted.checks += 1
        return source(...args)
      },
      rules: localTokenRules(LOCAL_ISSUER),
      clock: { now: () => new Date(clock.at) },
      log: silentLog,
      keySource: 'test keys',
    })
    return { verifier, clock, counted }
  }

  it('is trusted again without a check for up to a minute, then checked again', async () => {
    const { verifier, clock, counted } = countingVerifier()
    const token = await sign(key, localClaims())
    for (let i = 0; i < 3; i++) await verifier.verify(token)
    expect(counted.checks).toBe(1)
    clock.at += 59_000
    await verifier.verify(token)
    expect(counted.checks).toBe(1)
    clock.at += 2_000
    await verifier.verify(token)
    expect(counted.checks).toBe(2)
  })

  it('is never trusted past its expiry: it is checked again and refused as expired', async () => {
    const { verifier, clock, counted } = countingVerifier()
    const token = await sign(key, localClaims({ exp: nowSeconds + 30 }))
    await verifier.verify(token)
    clock.at += 31_000
    const error = await rejectionOf(verifier, token)
    expect(error.detail).toBe('Token has expired')
    expect(counted.checks).toBe(2)
  })

  it('is not remembered when it was refused: a bad token is checked every time', async () => {
    const { verifier, counted } = countingVerifier()
    const token = await sign(key, localClaims({ iss: 'https://evil.example.org' }))
    await rejectionOf(verifier, token)
    await rejectionOf(verifier, token)
    expect(counted.checks).toBe(2)
  })
})

describe('token verification with local keys', () => {
  let key: SigningKey
  let otherKey: SigningKey
  let verifier: TokenVerifier

  beforeAll(async () => {
    key = await makeKey('local-key')
    otherKey = await makeKey('other-key')
    verifier = verifierFor(localKeySource(key.jwks), localTokenRules(LOCAL_ISSUER))
  })

  it('yields the caller id and username of a valid token', async () => {
    await expect(verifier.verify(await sign(key, localClaims()))).resolves.toEqual({
      id: USER_ID,
      username: 'alice@example.org',
    })
  })

  it('reports an expired token as expired', async () => {
    const error = await rejectionOf(verifier, await sign(key, localClaims({ exp: nowSeconds - 1 })))
    expect(error.kind).toBe('Unauthenticated')
    expect(error.detail).toBe('Token has expired')
  })

  it.each([
    ['another issuer', { iss: 'https://evil.example.org' }],
    ['another audience', { aud: 'someone-else' }],
    ['an ID token', { token_use: 'id' }],
  ])('refuses a token from %s', async (_label, overrides) => {
    const error = await rejectionOf(verifier, await sign(key, localClaims(overrides)))
    expect(error.kind).toBe('Unauthenticated')
    expect(error.detail).toBe('Could not validate credentials')
  })

  it('refuses a token signed by a key it does not know', async () => {
    const error = await rejectionOf(verifier, await sign(otherKey, localClaims()))
    expect(error.kind).toBe('Unauthenticated')
    expect(error.detail).toBe('Could not validate credentials')
  })

  it('refuses a token that claims a known kid but was signed by another key', async () => {
    const error = await rejectionOf(verifier, await sign(otherKey, localClaims(), { kid: key.kid }))
    expect(error.kind).toBe('Unauthenticated')
    expect(error.detail).toBe('Could not validate credentials')
  })

  it('refuses a token signed by the right key whose header names no kid', async () => {
    const error = await rejectionOf(verifier, await signWithoutKid(key.privateKey, localClaims()))
    expect(error.kind).toBe('Unauthenticated')
    expect(error.detail).toBe('Could not validate credentials')
  })

  it('refuses a token signed by the right key that names a kid the key set does not hold', async () => {
    const error = await rejectionOf(verifier, await sign(key, localClaims(), { kid: 'not-in-the-set' }))
    expect(error.kind).toBe('Unauthenticated')
    expect(error.detail).toBe('Could not validate credentials')
  })

  it('refuses an unsigned token with alg none', async () => {
    const token = unsignedToken({ alg: 'none', typ: 'JWT', kid: key.kid }, localClaims())
    const error = await rejectionOf(verifier, token)
    expect(error.kind).toBe('Unauthenticated')
    expect(error.detail).toBe('Could not validate credentials')
  })

  it('refuses an HS256 token whose HMAC secret is the public RSA key', async () => {
    const publicPem = new TextEncoder().encode(await exportSPKI(key.publicKey))
    const token = await new SignJWT(localClaims())
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.kid })
      .sign(publicPem)
    const error = await rejectionOf(verifier, token)
    expect(error.kind).toBe('Unauthenticated')
    expect(error.detail).toBe('Could not validate credentials')
  })

  it('refuses a token that is not a JWT at all', async () => {
    const error = await rejectionOf(verifier, 'not-a-token')
    expect(error.kind).toBe('Unauthenticated')
    expect(error.detail).toBe('Could not validate credentials')
  })

  it('refuses a subject that is not a UUID', async () => {
    const error = await rejectionOf(verifier, await sign(key, localClaims({ sub: 'alice' })))
    expect(error.kind).toBe('Unauthenticated')
    expect(error.detail).toBe('Invalid user identifier format')
  })

  it.each([
    ['missing', { sub: undefined }],
    ['empty', { sub: '' }],
  ])('refuses a token whose subject is %s', async (_label, overrides) => {
    const error = await rejectionOf(verifier, await sign(key, localClaims(overrides)))
    expect(error.kind).toBe('Unauthenticated')
    expect(error.detail).toBe('Token missing user identifier')
  })

  it('refuses a token without a username claim', async () => {
    const error = await rejectionOf(verifier, await sign(key, localClaims({ username: undefined })))
    expect(error.kind).toBe('Unauthenticated')
    expect(error.detail).toBe('Token missing username claim')
  })

  it('returns an upper-case subject in its canonical lower-case form', async () => {
    const caller = await verifier.verify(await sign(key, localClaims({ sub: USER_ID.toUpperCase() })))
    expect(caller.id).toBe(USER_ID)
  })
})

describe('token verification against a remote JWKS', () => {
  let key: SigningKey
  let rotatedKey: SigningKey
  let jwks: JwksServer
  const servers: JwksServer[] = []

  const startServer = async (initial: JSONWebKeySet) => {
    const server = await startJwksServer(initial)
    servers.push(server)
    return server
  }

  beforeAll(async () => {
    key = await makeKey('cognito-key-1')
    rotatedKey = await makeKey('cognito-key-2')
  })

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close().catch(() => {})))
  })

  const cognitoVerifier = (url: URL, options: { cooldownMs?: number } = {}) =>
    verifierFor(remoteKeySource(url, { timeoutMs: 5_000, ...options }), cognitoTokenRules(COGNITO))

  it('derives the JWKS address from the Cognito issuer', () => {
    expect(cognitoJwksUrl(COGNITO).href).toBe(
      'https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_TESTPOOL/.well-known/jwks.json',
    )
  })

  it('accepts a Cognito access token for the app client', async () => {
    jwks = await startServer(key.jwks)
    const verifier = cognitoVerifier(jwks.url)
    await expect(verifier.verify(await sign(key, cognitoClaims()))).resolves.toEqual({
      id: USER_ID,
      username: 'user@example.com',
    })
  })

  it('refuses a Cognito ID token', async () => {
    jwks = await startServer(key.jwks)
    const verifier = cognitoVerifier(jwks.url)
    const idToken = await sign(
      key,
      cognitoClaims({ token_use: 'id', aud: COGNITO.appClientId, client_id: undefined }),
    )
    const error = await rejectionOf(verifier, idToken)
    expect(error.kind).toBe('Unauthenticated')
    expect(error.detail).toBe('Could not validate credentials')
  })

  it('refuses a Cognito access token minted for another app client', async () => {
    jwks = await startServer(key.jwks)
    const verifier = cognitoVerifier(jwks.url)
    const error = await rejectionOf(verifier, await sign(key, cognitoClaims({ client_id: 'other-client' })))
    expect(error.kind).toBe('Unauthenticated')
    expect(error.detail).toBe('Could not validate credentials')
  })

  it('refuses a Cognito token from another user pool', async () => {
    jwks = await startServer(key.jwks)
    const verifier = cognitoVerifier(jwks.url)
    const foreign = cognitoClaims({ iss: 'https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_OTHER' })
    const error = await rejectionOf(verifier, await sign(key, foreign))
    expect(error.kind).toBe('Unauthenticated')
    expect(error.detail).toBe('Could not validate credentials')
  })

  it('fetches the key set once for two verifications', async () => {
    jwks = await startServer(key.jwks)
    const verifier = cognitoVerifier(jwks.url, { cooldownMs: 0 })
    await verifier.verify(await sign(key, cognitoClaims()))
    await verifier.verify(await sign(key, cognitoClaims({ username: 'other@example.com' })))
    expect(jwks.fetches).toBe(1)
  })

  it('refetches the key set exactly once for an unknown kid, then refuses the token', async () => {
    jwks = await startServer(key.jwks)
    const verifier = cognitoVerifier(jwks.url, { cooldownMs: 0 })
    const error = await rejectionOf(verifier, await sign(key, cognitoClaims(), { kid: 'rotated-away' }))
    expect(error.kind).toBe('Unauthenticated')
    expect(error.detail).toBe('Could not validate credentials')
    expect(jwks.fetches).toBe(2)
  })

  it('picks up a rotated key with one refetch', async () => {
    jwks = await startServer(key.jwks)
    const verifier = cognitoVerifier(jwks.url, { cooldownMs: 0 })
    await verifier.verify(await sign(key, cognitoClaims()))
    jwks.serve(rotatedKey.jwks)
    await expect(verifier.verify(await sign(rotatedKey, cognitoClaims()))).resolves.toMatchObject({
      id: USER_ID,
    })
    expect(jwks.fetches).toBe(2)
  })

  it('refuses a Cognito token without a kid, without fetching the key set', async () => {
    jwks = await startServer(key.jwks)
    const verifier = cognitoVerifier(jwks.url)
    const error = await rejectionOf(verifier, await signWithoutKid(key.privateKey, cognitoClaims()))
    expect(error.detail).toBe('Could not validate credentials')
    expect(jwks.fetches).toBe(0)
  })

  it('does not refetch for forged kids while the cooldown lasts', async () => {
    jwks = await startServer(key.jwks)
    const verifier = cognitoVerifier(jwks.url, { cooldownMs: 600_000 })
    await verifier.verify(await sign(key, cognitoClaims()))
    for (const kid of ['forged-1', 'forged-2', 'forged-3']) {
      const error = await rejectionOf(verifier, await sign(key, cognitoClaims(), { kid }))
      expect(error.detail).toBe('Could not validate credentials')
    }
    expect(jwks.fetches).toBe(1)
  })

  it('answers an internal error without the cause when the JWKS endpoint is unreachable', async () => {
    const closed = await startJwksServer(key.jwks)
    await closed.close()
    const verifier = cognitoVerifier(closed.url, { cooldownMs: 0 })
    const error = await rejectionOf(verifier, await sign(key, cognitoClaims()))
    expect(error.kind).toBe('Internal')
    expect(error.detail).toBe('Internal server error during authentication')
    expect(error.detail).not.toContain('ECONNREFUSED')
    expect(error.detail).not.toContain('fetch')
  })
})

describe('token failures over HTTP', () => {
  let database: Database
  let t: TestApp
  let current = new Date()
  const movableClock: Clock = { now: () => current }

  beforeAll(async () => {
    database = await openTestPglite()
    t = await createTestApp(database, { clock: movableClock })
  })

  afterAll(async () => {
    await t.close()
    await database.close()
  })

  it('answers an expired token with 401 "Token has expired" as problem+json', async () => {
    const admin = await createAdmin(t.deps)
    const token = await tokenFor(t.deps, admin, 60)
    current = new Date(current.getTime() + 120_000)
    const response = await t.app.inject({ url: '/api/roles', headers: bearer(token) })
    expect(response.statusCode).toBe(401)
    expect(response.headers['www-authenticate']).toBe('Bearer')
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.json()).toMatchObject({ status: 401, detail: 'Token has expired' })
  })

  it("answers a token signed with the service's own key but no kid with 401", async () => {
    const admin = await createAdmin(t.deps)
    const { privateKey } = await loadLocalSigningKeys(database)
    const now = Math.floor(current.getTime() / 1000)
    const token = await signWithoutKid(
      privateKey,
      localClaims({ sub: admin.id, username: admin.email, iat: now, exp: now + 600 }),
    )
    const response = await t.app.inject({ url: '/api/roles', headers: bearer(token) })
    expect(response.statusCode).toBe(401)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.json()).toMatchObject({ status: 401, detail: 'Could not validate credentials' })
  })

  it('answers a token signed by a different key with 401 "Could not validate credentials"', async () => {
    const admin = await createAdmin(t.deps)
    const stranger = await makeKey('stranger')
    const claims = localClaims({
      sub: admin.id,
      username: admin.email,
      iat: Math.floor(current.getTime() / 1000),
      exp: Math.floor(current.getTime() / 1000) + 600,
    })
    const response = await t.app.inject({ url: '/api/roles', headers: bearer(await sign(stranger, claims)) })
    expect(response.statusCode).toBe(401)
    expect(response.headers['www-authenticate']).toBe('Bearer')
    expect(response.json()).toMatchObject({ status: 401, detail: 'Could not validate credentials' })
  })
})
