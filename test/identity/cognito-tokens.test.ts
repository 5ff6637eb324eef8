import { randomUUID } from 'node:crypto'
import {
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CreateUserPoolClientCommand,
} from '@aws-sdk/client-cognito-identity-provider'
import pino from 'pino'
import { beforeAll, describe, expect, it } from 'vitest'
import { remoteKeySource } from '../../src/auth/key-sources.js'
import { createTokenVerifier, type TokenVerifier } from '../../src/auth/token-verifier.js'
import { systemClock } from '../../src/domain/clock.js'
import { createCognitoIdentityProvider } from '../../src/identity/cognito/cognito-identity-provider.js'
import { cognitoJwksUrl, cognitoTokenRules } from '../../src/identity/cognito/cognito-token-rules.js'
import type { IdentityUser } from '../../src/identity/identity-provider.js'
import { type CognitoLocal, useCognitoLocal } from '../support/cognito-local.js'

const PASSWORD = 'Correct-Horse-9-Battery'

/** Signs a user in with ADMIN_USER_PASSWORD_AUTH, as an operator tool or a test would. */
const signIn = async (emulator: CognitoLocal, clientId: string, username: string) => {
  const answer = await emulator.admin.send(
    new AdminInitiateAuthCommand({
      UserPoolId: emulator.pool.userPoolId,
      ClientId: clientId,
      AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD },
    }),
  )
  return { access: answer.AuthenticationResult!.AccessToken!, id: answer.AuthenticationResult!.IdToken! }
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: { code?: string }) => error.code,
  )

/**
 * Cognito access tokens verified end to end: issued by cognito-local's AdminInitiateAuth, keys
 * fetched from the emulator's JWKS by the same verifier and rules the service builds for
 * AUTH_BACKEND=cognito (with COGNITO_ISSUER pointing at the emulator).
 */
describe('Cognito token rules against cognito-local', () => {
  const emulator = useCognitoLocal()
  let verifier: TokenVerifier
  let user: IdentityUser

  beforeAll(async () => {
    const cognito = emulator().config()
    const idp = createCognitoIdentityProvider(cognito)
    user = await idp.createUser(`token.${randomUUID().slice(0, 8)}@example.org`, { suppressInvite: true })
    await emulator().admin.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: cognito.userPoolId,
        Username: user.username,
        Password: PASSWORD,
        Permanent: true,
      }),
    )
    const jwks = cognitoJwksUrl(cognito)
    verifier = createTokenVerifier({
      keys: remoteKeySource(jwks),
      rules: cognitoTokenRules(cognito),
      clock: systemClock,
      log: pino({ level: 'silent' }),
      keySource: jwks.href,
    })
  })

  it('accepts an access token from the emulator, keys from its JWKS (its discovery document hard-codes port 9229, so it is not used)', async () => {
    const { access } = await signIn(emulator(), emulator().pool.appClientId, user.username)
    await expect(verifier.verify(access)).resolves.toEqual({ id: user.id, username: user.username })
  })

  it('refuses the ID token from the same sign-in', async () => {
    const { id } = await signIn(emulator(), emulator().pool.appClientId, user.username)
    expect(await codeOf(verifier.verify(id))).toBe('auth.invalid_token')
  })

  it('refuses an access token issued to another app client of the same pool', async () => {
    const other = await emulator().admin.send(
      new CreateUserPoolClientCommand({
        UserPoolId: emulator().pool.userPoolId,
        ClientName: 'another-app',
        ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH'],
      }),
    )
    const { access } = await signIn(emulator(), other.UserPoolClient!.ClientId!, user.username)
    expect(await codeOf(verifier.verify(access))).toBe('auth.invalid_token')
  })

  it('refuses an access token from another pool of the same emulator', async () => {
    const otherPool = await emulator().createPool()
    const cognito = emulator().config(otherPool)
    const idp = createCognitoIdentityProvider(cognito)
    const stranger = await idp.createUser(`stranger.${randomUUID().slice(0, 8)}@example.org`, {
      suppressInvite: true,
    })
    await emulator().admin.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: otherPool.userPoolId,
        Username: stranger.username,
        Password: PASSWORD,
        Permanent: true,
      }),
    )
    const answer = await emulator().admin.send(
      new AdminInitiateAuthCommand({
        UserPoolId: otherPool.userPoolId,
        ClientId: otherPool.appClientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: stranger.username, PASSWORD },
      }),
    )
    expect(await codeOf(verifier.verify(answer.AuthenticationResult!.AccessToken!))).toBe(
      'auth.invalid_token',
    )
  })
})
