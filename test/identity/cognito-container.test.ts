import { randomUUID } from 'node:crypto'
import {
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
} from '@aws-sdk/client-cognito-identity-provider'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { type Container, createContainer } from '../../src/container.js'
import { useCognitoLocal } from '../support/cognito-local.js'
import { openTestPglite } from '../support/test-database.js'

/** AUTH_BACKEND=cognito from the environment alone, as an operator would point it at an emulator. */
describe('the container with AUTH_BACKEND=cognito', () => {
  const emulator = useCognitoLocal()
  let container: Container

  beforeAll(async () => {
    const { pool, endpoint } = emulator()
    const config = loadConfig({
      AUTH_BACKEND: 'cognito',
      AWS_REGION: 'eu-west-2',
      AWS_COGNITO_USER_POOL_ID: pool.userPoolId,
      AWS_COGNITO_APP_CLIENT_ID: pool.appClientId,
      COGNITO_ENDPOINT: endpoint,
      COGNITO_ISSUER: pool.issuer,
      COGNITO_TIMEOUT_MS: '5000',
      COGNITO_RATE_CREATE: '5',
    })
    container = await createContainer(config, pino({ level: 'silent' }), {
      database: await openTestPglite(),
      jobs: false,
    })
  })
  afterAll(async () => container?.close())

  it('creates users in the pool through the paced Cognito adapter and verifies the tokens Cognito issues for them', async () => {
    const { idp, verifier } = container.deps
    expect(idp.backend).toBe('cognito')
    const user = await idp.createUser(`container.${randomUUID().slice(0, 8)}@example.org`, {
      suppressInvite: true,
    })
    await expect(idp.getUserByEmail(user.email)).resolves.toEqual(user)

    const { admin, pool } = emulator()
    await admin.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: pool.userPoolId,
        Username: user.username,
        Password: 'Pa55word!x',
        Permanent: true,
      }),
    )
    const answer = await admin.send(
      new AdminInitiateAuthCommand({
        UserPoolId: pool.userPoolId,
        ClientId: pool.appClientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: user.username, PASSWORD: 'Pa55word!x' },
      }),
    )
    await expect(verifier.verify(answer.AuthenticationResult!.AccessToken!)).resolves.toEqual({
      id: user.id,
      username: user.username,
    })
  })
})
