import { randomUUID } from 'node:crypto'
import {
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminResetUserPasswordCommand,
  AdminSetUserPasswordCommand,
  AdminUserGlobalSignOutCommand,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider'
import { describe, expect, it } from 'vitest'
import { useCognitoLocal } from '../support/cognito-local.js'

/**
 * Where cognito-local (5.3.0) differs from Cognito, pinned so the tests that work around a gap
 * say why, and so an emulator upgrade that closes one is noticed. These test the emulator, not
 * the adapter: the adapter is written for Cognito.
 */
describe('cognito-local gaps the other tests work around', () => {
  const emulator = useCognitoLocal()
  const pool = () => ({ UserPoolId: emulator().pool.userPoolId })
  const newUser = async (label: string) => {
    const email = `${label}.${randomUUID().slice(0, 8)}@example.org`
    await emulator().admin.send(
      new AdminCreateUserCommand({
        ...pool(),
        Username: email,
        UserAttributes: [{ Name: 'email', Value: email }],
        MessageAction: 'SUPPRESS',
      }),
    )
    return email
  }
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: { name?: string; $metadata?: { httpStatusCode?: number } }) => ({
        name: error.name,
        status: error.$metadata?.httpStatusCode,
      }),
    )

  it('lets a disabled user sign in, where Cognito answers NotAuthorizedException', async () => {
    const email = await newUser('disabled')
    await emulator().admin.send(
      new AdminSetUserPasswordCommand({
        ...pool(),
        Username: email,
        Password: 'Pa55word!x',
        Permanent: true,
      }),
    )
    await emulator().admin.send(new AdminDisableUserCommand({ ...pool(), Username: email }))
    const answer = await emulator().admin.send(
      new AdminInitiateAuthCommand({
        ...pool(),
        ClientId: emulator().pool.appClientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: email, PASSWORD: 'Pa55word!x' },
      }),
    )
    expect(answer.AuthenticationResult?.AccessToken).toBeTruthy()
  })

  it('does not support AdminResetUserPassword or AdminUserGlobalSignOut: it answers HTTP 500', async () => {
    const email = await newUser('unsupported')
    for (const command of [
      new AdminResetUserPasswordCommand({ ...pool(), Username: email }),
      new AdminUserGlobalSignOutCommand({ ...pool(), Username: email }),
    ]) {
      expect(await failure(emulator().admin.send(command))).toMatchObject({ status: 500 })
    }
  })

  it('hard-codes port 9229 in its discovery document, whatever port it listens on', async () => {
    const response = await fetch(
      `${emulator().endpoint}/${pool().UserPoolId}/.well-known/openid-configuration`,
    )
    const discovery = (await response.json()) as { issuer: string; jwks_uri: string }
    expect(discovery.jwks_uri).toContain(':9229/')
    expect(emulator().endpoint).not.toContain(':9229')
  })

  it('ignores ListUsers Limit and answers every user in one page, with no PaginationToken', async () => {
    await Promise.all([newUser('page1'), newUser('page2'), newUser('page3')])
    const page = await emulator().admin.send(new ListUsersCommand({ ...pool(), Limit: 2 }))
    expect(page.Users?.length).toBeGreaterThan(2)
    expect(page.PaginationToken).toBeUndefined()
  })

  it('refuses to send an invitation without DesiredDeliveryMediums (it defaults to SMS), hence the adapter asks for EMAIL', async () => {
    const email = `invite.${randomUUID().slice(0, 8)}@example.org`
    const attempt = emulator().admin.send(
      new AdminCreateUserCommand({
        ...pool(),
        Username: email,
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    )
    expect(await failure(attempt)).toMatchObject({ name: 'InvalidParameterException', status: 400 })
  })

  it('matches usernames case-sensitively, where new Cognito pools are case-insensitive', async () => {
    const email = await newUser('cased')
    const attempt = emulator().admin.send(
      new AdminGetUserCommand({ ...pool(), Username: email.toUpperCase() }),
    )
    expect(await failure(attempt)).toMatchObject({ name: 'UserNotFoundException' })
  })
})
