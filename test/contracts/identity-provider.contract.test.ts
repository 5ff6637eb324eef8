import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../src/domain/clock.js'
import { isUuid } from '../../src/domain/ids.js'
import { createCognitoIdentityProvider } from '../../src/identity/cognito/cognito-identity-provider.js'
import { type IdentityErrorReason, IdentityProviderError } from '../../src/identity/identity-errors.js'
import type { IdentityProvider, IdentityUser } from '../../src/identity/identity-provider.js'
import { createLocalIdentityProvider } from '../../src/identity/local/local-identity-provider.js'
import { type AwsFaultProxy, startAwsFaultProxy } from '../support/aws-fault-proxy.js'
import { useCognitoLocal } from '../support/cognito-local.js'
import { openTestPglite } from '../support/test-database.js'

/**
 * The identity-provider contract: what the saga and the routes may rely on, whichever provider
 * is configured. Every adapter runs the same tests. Emails are unique per test, so the tests need
 * no emptying of the directory between them and hold in a shared Cognito pool.
 */
interface ContractTarget {
  name: string
  /** Registers the hooks that build the provider; returns a getter valid inside tests. */
  setup(): () => IdentityProvider
}

const localTarget: ContractTarget = {
  name: 'local (PGlite)',
  setup() {
    let idp: IdentityProvider | undefined
    let close: (() => Promise<void>) | undefined
    beforeAll(async () => {
      const database = await openTestPglite()
      close = () => database.close()
      idp = createLocalIdentityProvider({ db: database.db, clock: systemClock })
    })
    afterAll(async () => close?.())
    return () => idp!
  },
}

const cognitoTarget: ContractTarget = {
  name: 'cognito (cognito-local)',
  setup() {
    const emulator = useCognitoLocal()
    let proxy: AwsFaultProxy | undefined
    let idp: IdentityProvider | undefined
    beforeAll(async () => {
      // The proxy only pages ListUsers, which cognito-local answers in one page whatever the Limit.
      proxy = await startAwsFaultProxy(emulator().endpoint)
      proxy.pageListUsers(true)
      idp = createCognitoIdentityProvider(emulator().config(undefined, proxy.url))
    })
    afterAll(async () => proxy?.close())
    return () => idp!
  },
}

const uniqueEmail = (label: string) => `${label}.${randomUUID().slice(0, 8)}@example.org`

const reasonOf = async (promise: Promise<unknown>): Promise<IdentityErrorReason | 'resolved'> => {
  try {
    await promise
    return 'resolved'
  } catch (error) {
    if (error instanceof IdentityProviderError) return error.reason
    throw error
  }
}

describe.each([localTarget, cognitoTarget])('identity provider contract: $name', (target) => {
  const idp = target.setup()

  const create = (label: string): Promise<IdentityUser> =>
    idp().createUser(uniqueEmail(label), { suppressInvite: true })

  it('creates an enabled user with the email as given and a UUID id', async () => {
    const email = uniqueEmail('Mixed.Case')
    const before = Date.now()
    const user = await idp().createUser(email, { suppressInvite: true })
    expect(isUuid(user.id)).toBe(true)
    expect(user.id).toBe(user.id.toLowerCase())
    expect(user.email).toBe(email)
    expect(user.username).toBe(email)
    expect(user.enabled).toBe(true)
    // Second resolution: Cognito reports creation dates in whole seconds.
    expect(user.createdAt.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000)
  })

  it('creates a user with the invitation sent, too', async () => {
    const email = uniqueEmail('invited')
    await expect(idp().createUser(email)).resolves.toMatchObject({ email })
  })

  it('refuses a second user with the same email as AlreadyExists', async () => {
    const user = await create('twice')
    expect(await reasonOf(idp().createUser(user.email, { suppressInvite: true }))).toBe('AlreadyExists')
  })

  it('refuses a malformed email as InvalidInput', async () => {
    expect(await reasonOf(idp().createUser('not-an-email', { suppressInvite: true }))).toBe('InvalidInput')
    expect(await reasonOf(idp().createUser('quote"d@example.org'))).toBe('InvalidInput')
    expect(await reasonOf(idp().getUserByEmail('not-an-email'))).toBe('InvalidInput')
  })

  it('finds a user by id and by email', async () => {
    const user = await create('found')
    await expect(idp().getUserById(user.id)).resolves.toEqual(user)
    await expect(idp().getUserByEmail(user.email)).resolves.toEqual(user)
  })

  it('finds a user by an upper-case id', async () => {
    const user = await create('upper')
    await expect(idp().getUserById(user.id.toUpperCase())).resolves.toMatchObject({ id: user.id })
  })

  it('reports an unknown id or email as NotFound and a malformed id as InvalidInput', async () => {
    expect(await reasonOf(idp().getUserById(randomUUID()))).toBe('NotFound')
    expect(await reasonOf(idp().getUserByEmail(uniqueEmail('nobody')))).toBe('NotFound')
    expect(await reasonOf(idp().getUserById('not-a-uuid'))).toBe('InvalidInput')
  })

  it('deletes a user by username, after which it is found neither by id nor by email', async () => {
    const user = await create('deleted')
    await idp().deleteUser(user.username)
    expect(await reasonOf(idp().getUserById(user.id))).toBe('NotFound')
    expect(await reasonOf(idp().getUserByEmail(user.email))).toBe('NotFound')
  })

  it('reports deleting a missing user as NotFound', async () => {
    expect(await reasonOf(idp().deleteUser(uniqueEmail('missing')))).toBe('NotFound')
  })

  it('disables and enables a user (cognito-local lets a disabled user sign in, so sign-in is not asserted)', async () => {
    const user = await create('toggled')
    await idp().setEnabled(user.username, false)
    await expect(idp().getUserById(user.id)).resolves.toMatchObject({ enabled: false })
    await expect(idp().getUserByEmail(user.email)).resolves.toMatchObject({ enabled: false })
    await idp().setEnabled(user.username, true)
    await expect(idp().getUserById(user.id)).resolves.toMatchObject({ enabled: true })
  })

  it('reads whether an account is enabled by its username, strongly, and NotFound for a missing one', async () => {
    const user = await create('status')
    expect(await idp().isEnabled(user.username)).toBe(true)
    await idp().setEnabled(user.username, false)
    expect(await idp().isEnabled(user.username)).toBe(false)
    await idp().setEnabled(user.username, true)
    expect(await idp().isEnabled(user.username)).toBe(true)
    expect(await reasonOf(idp().isEnabled(uniqueEmail('ghost')))).toBe('NotFound')
  })

  it('reports enabling or disabling a missing user as NotFound', async () => {
    expect(await reasonOf(idp().setEnabled(uniqueEmail('ghost'), false))).toBe('NotFound')
    expect(await reasonOf(idp().setEnabled(uniqueEmail('ghost'), true))).toBe('NotFound')
  })

  it('lists every user exactly once over pages of at most the limit (cognito-local ignores Limit: the proxy pages its answer)', async () => {
    const created = await Promise.all([1, 2, 3, 4, 5].map((n) => create(`listed${n}`)))
    const seen: IdentityUser[] = []
    let nextToken: string | undefined
    let pages = 0
    do {
      const page = await idp().listUsers({ limit: 2, ...(nextToken ? { nextToken } : {}) })
      expect(page.users.length).toBeLessThanOrEqual(2)
      seen.push(...page.users)
      nextToken = page.nextToken
      pages += 1
    } while (nextToken !== undefined && pages < 100)
    expect(pages).toBeGreaterThanOrEqual(3)
    expect(new Set(seen.map((user) => user.id)).size).toBe(seen.length)
    for (const user of created) expect(seen).toContainEqual(user)
  })
})
