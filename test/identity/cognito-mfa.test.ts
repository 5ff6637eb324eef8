import { randomUUID } from 'node:crypto'
import { SetUserMFAPreferenceCommand } from '@aws-sdk/client-cognito-identity-provider'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createCognitoIdentityProvider } from '../../src/identity/cognito/cognito-identity-provider.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import type { IdentityProvider } from '../../src/identity/identity-provider.js'
import { type AwsFaultProxy, startAwsFaultProxy } from '../support/aws-fault-proxy.js'
import { useCognitoLocal } from '../support/cognito-local.js'
import { enrolTotp as enrolTotpFor } from '../support/totp.js'

const uniqueEmail = (label: string) => `${label}.${randomUUID().slice(0, 8)}@example.org`

const reasonOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof IdentityProviderError ? error.reason : Promise.reject(error)),
  )

describe('cognito adapter: MFA', () => {
  const emulator = useCognitoLocal()
  let proxy: AwsFaultProxy
  let idp: IdentityProvider

  beforeAll(async () => {
    proxy = await startAwsFaultProxy(emulator().endpoint)
    idp = createCognitoIdentityProvider(emulator().config(undefined, proxy.url))
  })
  afterAll(async () => proxy.close())
  beforeEach(() => proxy.reset())

  const sent = (operation: string) =>
    proxy.requests.filter((request) => request.operation === operation).map((request) => request.input)

  const enrolTotp = async (username: string) =>
    enrolTotpFor(emulator().admin, await emulator().accessTokenFor(username))

  it('reads enrolment with AdminGetUser by username: false for a new user', async () => {
    const user = await idp.createUser(uniqueEmail('mfa-new'), { suppressInvite: true })
    proxy.reset()
    expect(await idp.isMfaEnabled(user.username)).toBe(false)
    expect(sent('AdminGetUser')).toEqual([
      { UserPoolId: emulator().pool.userPoolId, Username: user.username },
    ])
  })

  it('counts an enrolled authenticator app (SOFTWARE_TOKEN_MFA)', async () => {
    const user = await idp.createUser(uniqueEmail('mfa-totp'), { suppressInvite: true })
    await enrolTotp(user.username)
    expect(await idp.isMfaEnabled(user.username)).toBe(true)
  })

  it('does not count SMS as MFA, as FLIP', async () => {
    const user = await idp.createUser(uniqueEmail('mfa-sms'), { suppressInvite: true })
    const AccessToken = await emulator().accessTokenFor(user.username)
    await emulator().admin.send(
      new SetUserMFAPreferenceCommand({ AccessToken, SMSMfaSettings: { Enabled: true, PreferredMfa: true } }),
    )
    expect(await idp.isMfaEnabled(user.username)).toBe(false)
  })

  it('is NotFound for an unknown user, and Throttled when Cognito throttles the read', async () => {
    expect(await reasonOf(idp.isMfaEnabled(uniqueEmail('nobody')))).toBe('NotFound')
    proxy.fail('AdminGetUser', { kind: 'throttle' })
    expect(await reasonOf(idp.isMfaEnabled(uniqueEmail('nobody')))).toBe('Throttled')
  })

  it('resets with AdminSetUserMFAPreference (TOTP off, not preferred) first; cognito-local does not support that admin call (HTTP 500 → Unavailable), so sign-out is never sent', async () => {
    const user = await idp.createUser(uniqueEmail('mfa-reset'), { suppressInvite: true })
    proxy.reset()
    expect(await reasonOf(idp.resetMfa(user.username))).toBe('Unavailable')
    expect(sent('AdminSetUserMFAPreference')).toEqual([
      {
        UserPoolId: emulator().pool.userPoolId,
        Username: user.username,
        SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false },
      },
    ])
    expect(sent('AdminUserGlobalSignOut')).toEqual([])
  })

  it('skips the sign-out when the preference change is throttled, and says Throttled', async () => {
    proxy.fail('AdminSetUserMFAPreference', { kind: 'throttle' })
    expect(await reasonOf(idp.resetMfa(uniqueEmail('any')))).toBe('Throttled')
    expect(sent('AdminUserGlobalSignOut')).toEqual([])
  })
})
