import { randomUUID } from 'node:crypto'
import { AdminGetUserCommand } from '@aws-sdk/client-cognito-identity-provider'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { isUuid } from '../../src/domain/ids.js'
import { createCognitoIdentityProvider } from '../../src/identity/cognito/cognito-identity-provider.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import type { IdentityProvider } from '../../src/identity/identity-provider.js'
import { type AwsFaultProxy, startAwsFaultProxy } from '../support/aws-fault-proxy.js'
import { useCognitoLocal } from '../support/cognito-local.js'

const uniqueEmail = (label: string) => `${label}.${randomUUID().slice(0, 8)}@example.org`

const reasonOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof IdentityProviderError ? error.reason : Promise.reject(error)),
  )

/** What the adapter puts on the wire, read from the proxy, and Cognito specifics the contract leaves open. */
describe('cognito adapter', () => {
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

  it('creates with Username = the email, email and email_verified=true, and asks for the invitation by email', async () => {
    const email = uniqueEmail('wire')
    await idp.createUser(`  ${email} `)
    expect(sent('AdminCreateUser')).toEqual([
      {
        UserPoolId: emulator().pool.userPoolId,
        Username: email,
        UserAttributes: [
          { Name: 'email', Value: email },
          { Name: 'email_verified', Value: 'true' },
        ],
        DesiredDeliveryMediums: ['EMAIL'],
      },
    ])
    const stored = await emulator().admin.send(
      new AdminGetUserCommand({ UserPoolId: emulator().pool.userPoolId, Username: email }),
    )
    expect(stored.UserAttributes).toContainEqual({ Name: 'email_verified', Value: 'true' })
  })

  it('suppresses the invitation with MessageAction SUPPRESS and no delivery medium', async () => {
    await idp.createUser(uniqueEmail('quiet'), { suppressInvite: true })
    const [input] = sent('AdminCreateUser')
    expect(input).toMatchObject({ MessageAction: 'SUPPRESS' })
    expect(input).not.toHaveProperty('DesiredDeliveryMediums')
  })

  it('looks a user up by id with an exact sub filter, lower-cased, one result', async () => {
    const id = randomUUID()
    await reasonOf(idp.getUserById(id.toUpperCase()))
    expect(sent('ListUsers')).toEqual([
      { UserPoolId: emulator().pool.userPoolId, Filter: `sub = "${id}"`, Limit: 1 },
    ])
  })

  it('looks a user up by email with AdminGetUser, a consistent read, not the ListUsers index', async () => {
    const user = await idp.createUser(uniqueEmail('read'), { suppressInvite: true })
    proxy.reset()
    await idp.getUserByEmail(user.email)
    expect(proxy.requests.map((request) => request.operation)).toEqual(['AdminGetUser'])
  })

  it('asks for at most 60 users a page, the most ListUsers accepts', async () => {
    await idp.listUsers({ limit: 500 })
    await idp.listUsers()
    expect(sent('ListUsers').map((input) => input.Limit)).toEqual([60, 60])
  })

  it('refuses malformed input, including filter metacharacters, without calling Cognito', async () => {
    expect(await reasonOf(idp.getUserByEmail('a"b@example.org'))).toBe('InvalidInput')
    expect(await reasonOf(idp.getUserByEmail('a\\b@example.org'))).toBe('InvalidInput')
    expect(await reasonOf(idp.getUserById('" or sub ^= "'))).toBe('InvalidInput')
    expect(await reasonOf(idp.createUser('no spaces@example.org'))).toBe('InvalidInput')
    expect(proxy.requests).toEqual([])
  })

  it('works in a pool that uses the email as the username attribute: username is the sub, and it is what delete takes', async () => {
    const emailPool = await emulator().createPool({ usernameAttributes: ['email'] })
    const aliased = createCognitoIdentityProvider(emulator().config(emailPool))
    const email = uniqueEmail('aliased')
    const user = await aliased.createUser(email, { suppressInvite: true })
    expect(user.username).toBe(user.id)
    expect(isUuid(user.username)).toBe(true)
    expect(user.email).toBe(email)
    await expect(aliased.getUserByEmail(email)).resolves.toEqual(user)
    await expect(aliased.getUserById(user.id)).resolves.toEqual(user)
    await aliased.setEnabled(user.username, false)
    await expect(aliased.getUserByEmail(email)).resolves.toMatchObject({ enabled: false })
    await aliased.deleteUser(user.username)
    expect(await reasonOf(aliased.getUserByEmail(email))).toBe('NotFound')
  })
})
