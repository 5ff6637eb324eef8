import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createCognitoIdentityProvider } from '../../src/identity/cognito/cognito-identity-provider.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import type { IdentityProvider } from '../../src/identity/identity-provider.js'
import { type AwsFaultProxy, startAwsFaultProxy } from '../support/aws-fault-proxy.js'
import { useCognitoLocal } from '../support/cognito-local.js'

/**
 * The error table end to end: faults injected at the HTTP level in front of cognito-local, so the
 * SDK's real deserialisation, error types and timeouts decide what the adapter sees.
 */
const TIMEOUT_MS = 400

const uniqueEmail = () => `fault.${randomUUID().slice(0, 8)}@example.org`

const failureOf = async (promise: Promise<unknown>): Promise<IdentityProviderError> => {
  try {
    await promise
  } catch (error) {
    if (error instanceof IdentityProviderError) return error
    throw error
  }
  throw new Error('expected the call to fail')
}

describe('cognito adapter under protocol-level faults', () => {
  const emulator = useCognitoLocal()
  let proxy: AwsFaultProxy
  let idp: IdentityProvider
  /** The same pool without the proxy, to look at what really happened. */
  let direct: IdentityProvider

  beforeAll(async () => {
    proxy = await startAwsFaultProxy(emulator().endpoint)
    idp = createCognitoIdentityProvider({ ...emulator().config(undefined, proxy.url), timeoutMs: TIMEOUT_MS })
    direct = createCognitoIdentityProvider(emulator().config())
  })
  afterAll(async () => proxy.close())
  beforeEach(async () => {
    await proxy.idle()
    proxy.reset()
  })

  const calls = (operation: string) => proxy.requests.filter((request) => request.operation === operation)

  it('reports a 503 as Unavailable after exactly one request (the SDK does not retry)', async () => {
    proxy.fail('AdminGetUser', { kind: 'unavailable' })
    const error = await failureOf(idp.getUserByEmail(uniqueEmail()))
    expect(error.reason).toBe('Unavailable')
    expect(calls('AdminGetUser')).toHaveLength(1)
  })

  it('reports a 503 on create as Unavailable, and no user was created', async () => {
    const email = uniqueEmail()
    proxy.fail('AdminCreateUser', { kind: 'unavailable' })
    expect((await failureOf(idp.createUser(email, { suppressInvite: true }))).reason).toBe('Unavailable')
    expect((await failureOf(direct.getUserByEmail(email))).reason).toBe('NotFound')
  })

  it('reports TooManyRequestsException as Throttled after exactly one request', async () => {
    proxy.fail('ListUsers', { kind: 'throttle' })
    const error = await failureOf(idp.listUsers({ limit: 10 }))
    expect(error.reason).toBe('Throttled')
    expect(calls('ListUsers')).toHaveLength(1)
  })

  it('reports CodeDeliveryFailureException on create as Ambiguous, and the user does exist', async () => {
    const email = uniqueEmail()
    proxy.fail('AdminCreateUser', { kind: 'code-delivery-failure' })
    expect((await failureOf(idp.createUser(email))).reason).toBe('Ambiguous')
    await expect(direct.getUserByEmail(email)).resolves.toMatchObject({ email })
  })

  it('reports a create that outlives the client timeout as Ambiguous, and the user may well exist', async () => {
    const email = uniqueEmail()
    proxy.fail('AdminCreateUser', { kind: 'delay', ms: TIMEOUT_MS * 2 })
    expect((await failureOf(idp.createUser(email, { suppressInvite: true }))).reason).toBe('Ambiguous')
    await proxy.idle() // the held request reaches the emulator after the client gave up
    await expect(direct.getUserByEmail(email)).resolves.toMatchObject({ email })
    expect(calls('AdminCreateUser')).toHaveLength(1)
  })

  it('reports a dropped connection on create as Ambiguous', async () => {
    proxy.fail('AdminCreateUser', { kind: 'reset' })
    expect((await failureOf(idp.createUser(uniqueEmail(), { suppressInvite: true }))).reason).toBe(
      'Ambiguous',
    )
  })

  it('reports a read or a write that outlives the client timeout as Unavailable', async () => {
    const user = await direct.createUser(uniqueEmail(), { suppressInvite: true })
    proxy.fail('ListUsers', { kind: 'delay', ms: TIMEOUT_MS * 2 })
    expect((await failureOf(idp.getUserById(user.id))).reason).toBe('Unavailable')
    proxy.fail('AdminDisableUser', { kind: 'delay', ms: TIMEOUT_MS * 2, forward: false })
    expect((await failureOf(idp.setEnabled(user.username, false))).reason).toBe('Unavailable')
  })

  it('reports a refused connection as Unavailable, even on create', async () => {
    const closed = await startAwsFaultProxy(emulator().endpoint)
    const url = closed.url
    await closed.close()
    const unreachable = createCognitoIdentityProvider({
      ...emulator().config(undefined, url),
      timeoutMs: TIMEOUT_MS,
    })
    expect((await failureOf(unreachable.createUser(uniqueEmail()))).reason).toBe('Unavailable')
    expect((await failureOf(unreachable.getUserByEmail(uniqueEmail()))).reason).toBe('Unavailable')
  })

  it('tells the caller nothing about the provider: no SDK text, host or port in any message', async () => {
    proxy.fail('AdminGetUser', { kind: 'throttle' }, { times: 1 })
    const throttled = await failureOf(idp.getUserByEmail(uniqueEmail()))
    proxy.fail('AdminCreateUser', { kind: 'unavailable' }, { times: 1 })
    const unavailable = await failureOf(idp.createUser(uniqueEmail()))
    for (const { message } of [throttled, unavailable]) {
      expect(message).not.toMatch(/Rate exceeded|Service Unavailable|127\.0\.0\.1|JSON|smithy/)
    }
  })
})
