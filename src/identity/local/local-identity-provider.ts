import { randomUUID } from 'node:crypto'
import type { Db } from '../../db/database.js'
import type { Clock } from '../../domain/clock.js'
import { isEmailAddress, normaliseEmail } from '../../domain/email.js'
import { isUuid } from '../../domain/ids.js'
import {
  createLocalIdentitiesRepository,
  type LocalIdentityRow,
} from '../../repositories/local-identities-repository.js'
import { createLocalMfaRepository } from '../../repositories/local-mfa-repository.js'
import { IdentityProviderError } from '../identity-errors.js'
import type { IdentityProvider, IdentityUser } from '../identity-provider.js'
import { LOCAL_DEFAULT_PAGE_SIZE, LOCAL_MAX_PAGE_SIZE } from './local-config.js'
import { translateLocalError } from './local-errors.js'

// Deliberately plain: one @, no spaces or quotes, a dot in the domain. Cognito rejects less.
const toUser = (row: LocalIdentityRow): IdentityUser => ({
  id: row.id,
  username: row.email,
  email: row.email,
  enabled: row.enabled,
  createdAt: row.createdAt,
})

const notFound = (what: string) => new IdentityProviderError('NotFound', `User ${what} is not registered.`)

/**
 * Identities kept in the service's own database: the embedded default and the provider the saga
 * tests drive. It behaves like a real provider (AlreadyExists, NotFound, InvalidInput), so code
 * that works against it works against Cognito.
 */
export const createLocalIdentityProvider = (deps: { db: Db; clock: Clock }): IdentityProvider => {
  const identities = createLocalIdentitiesRepository(deps.db)
  const mfa = createLocalMfaRepository(deps.db)

  const attempt = async <T>(operation: string, fn: () => Promise<T>, email?: string): Promise<T> => {
    try {
      return await fn()
    } catch (error) {
      throw translateLocalError(error, operation, email)
    }
  }

  const requireEmail = (email: string) => {
    if (!isEmailAddress(email.trim()))
      throw new IdentityProviderError('InvalidInput', 'Invalid email address format')
  }

  return {
    backend: 'local',

    createUser: (email) =>
      attempt(
        'create user',
        async () => {
          requireEmail(email)
          const row = await identities.insert({
            id: randomUUID(),
            email: email.trim(),
            emailNormalised: normaliseEmail(email),
            createdAt: deps.clock.now(),
          })
          return toUser(row)
        },
        email.trim(),
      ),

    getUserById: (id) =>
      attempt('get user', async () => {
        if (!isUuid(id)) throw new IdentityProviderError('InvalidInput', 'Invalid user ID format')
        const row = await identities.findById(id.toLowerCase())
        if (!row) throw notFound(`with ID ${id}`)
        return toUser(row)
      }),

    getUserByEmail: (email) =>
      attempt('get user', async () => {
        requireEmail(email)
        const row = await identities.findByEmail(normaliseEmail(email))
        if (!row) throw notFound(`with email ${email}`)
        return toUser(row)
      }),

    deleteUser: (username) =>
      attempt('delete user', async () => {
        if (!(await identities.deleteByEmail(normaliseEmail(username)))) throw notFound(username)
      }),

    setEnabled: (username, enabled) =>
      attempt('update user', async () => {
        if (!(await identities.setEnabled(normaliseEmail(username), enabled))) throw notFound(username)
      }),

    listUsers: (options = {}) =>
      attempt('list users', async () => {
        const limit = Math.min(Math.max(options.limit ?? LOCAL_DEFAULT_PAGE_SIZE, 1), LOCAL_MAX_PAGE_SIZE)
        // One extra row tells us whether another page follows without a count query.
        const rows = await identities.page(limit + 1, options.nextToken)
        const users = rows.slice(0, limit).map(toUser)
        const last = rows.length > limit ? rows[limit - 1] : undefined
        return last ? { users, nextToken: last.emailNormalised } : { users }
      }),

    // One read by the unique email index; the auth path makes it on every request.
    isEnabled: (username) =>
      attempt('get user', async () => {
        const row = await identities.findByEmail(normaliseEmail(username))
        if (!row) throw notFound(username)
        return row.enabled
      }),

    // There are no sessions to end: `local` tokens are not tracked, and the service refuses a
    // disabled account's tokens on every request.
    signOut: (username) =>
      attempt('sign out user', async () => {
        if (!(await identities.findByEmail(normaliseEmail(username)))) throw notFound(username)
      }),

    isMfaEnabled: (username) =>
      attempt('fetch MFA state', async () => {
        const enabled = await mfa.mfaEnabled(normaliseEmail(username))
        if (enabled === undefined) throw notFound(username)
        return enabled
      }),

    // There are no sessions to end: `local` tokens are short-lived and not tracked.
    resetMfa: (username) =>
      attempt('reset user MFA', async () => {
        if (!(await mfa.setMfaEnabled(normaliseEmail(username), false))) throw notFound(username)
      }),
  }
}
