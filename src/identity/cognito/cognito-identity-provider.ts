import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminSetUserMFAPreferenceCommand,
  AdminUserGlobalSignOutCommand,
  type AttributeType,
  CognitoIdentityProviderClient,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider'
import { isEmailAddress } from '../../domain/email.js'
import { canonicalUuid, isUuid } from '../../domain/ids.js'
import { IdentityProviderError } from '../identity-errors.js'
import type { IdentityProvider, IdentityUser } from '../identity-provider.js'
import { COGNITO_MAX_PAGE_SIZE, type CognitoConfig, cognitoClientConfig } from './cognito-config.js'
import { type CognitoOperation, translateCognitoError } from './cognito-errors.js'

// One @, a dot in the domain, no spaces. Quotes and backslashes are refused outright because an
// address travels inside a ListUsers filter string (`email = "…"`), as FLIP refuses them.
/** The fields of Cognito's UserType and AdminGetUser's answer that a user is read from. */
interface CognitoUserRecord {
  Username?: string | undefined
  Attributes?: AttributeType[] | undefined
  Enabled?: boolean | undefined
  UserCreateDate?: Date | undefined
}

const attribute = (attributes: AttributeType[] | undefined, name: string): string | undefined =>
  attributes?.find((entry) => entry.Name === name)?.Value

/**
 * Reads a user; a record without a usable `sub` is a definitive ProviderError (Cognito always
 * assigns one, so its absence means we are not talking to the pool we think we are).
 */
const toUser = (record: CognitoUserRecord, operation: CognitoOperation): IdentityUser => {
  const sub = attribute(record.Attributes, 'sub')
  if (!isUuid(sub) || record.Username === undefined) {
    throw new IdentityProviderError('ProviderError', `Failed to ${operation}`)
  }
  return {
    id: canonicalUuid(sub),
    username: record.Username,
    email: attribute(record.Attributes, 'email') ?? record.Username,
    // Cognito omits Enabled for users that have never been disabled.
    enabled: record.Enabled ?? true,
    // A missing date reads as the epoch, never "now": the saga adopts an existing user only if it
    // was created after the registration began, and an unknown age must not qualify.
    createdAt: record.UserCreateDate ?? new Date(0),
  }
}

const invalid = (message: string) => new IdentityProviderError('InvalidInput', message)

/**
 * The `cognito` identity provider: one user pool through the AWS SDK v3. The SDK client is built
 * on first use and kept for the life of this provider (the container builds one per process);
 * credentials come from the SDK's default chain. The SDK makes one attempt per call: pacing and
 * retries belong to the paced decorator that wraps this provider.
 *
 * Users are created with `Username` = the email as given, so `username` is that email in pools
 * that keep usernames, and the `sub` in pools that use the email as the username attribute;
 * either way the returned `username` is what delete and enable/disable take.
 */
export const createCognitoIdentityProvider = (cognito: CognitoConfig): IdentityProvider => {
  let client: CognitoIdentityProviderClient | undefined
  const sdk = () => {
    client ??= new CognitoIdentityProviderClient(cognitoClientConfig(cognito))
    return client
  }
  const pool = { UserPoolId: cognito.userPoolId }

  const call = async <T>(
    operation: CognitoOperation,
    subject: string | undefined,
    fn: (client: CognitoIdentityProviderClient) => Promise<T>,
  ): Promise<T> => {
    try {
      return await fn(sdk())
    } catch (error) {
      throw translateCognitoError(error, operation, subject)
    }
  }

  const requireEmail = (email: string): string => {
    const trimmed = email.trim()
    if (!isEmailAddress(trimmed)) throw invalid('Invalid email address format')
    return trimmed
  }

  /** ListUsers with an exact-match filter; at most one user can match `sub` or a verified email. */
  const findOne = async (filter: string, subject: string): Promise<IdentityUser> => {
    const page = await call('get user', subject, (c) =>
      c.send(new ListUsersCommand({ ...pool, Filter: filter, Limit: 1 })),
    )
    const first = page.Users?.[0]
    if (!first) throw new IdentityProviderError('NotFound', `User ${subject} is not registered.`)
    return toUser(first, 'get user')
  }

  return {
    backend: 'cognito',

    async createUser(email, options = {}) {
      const username = requireEmail(email)
      const created = await call('create user', username, (c) =>
        c.send(
          new AdminCreateUserCommand({
            ...pool,
            Username: username,
            UserAttributes: [
              { Name: 'email', Value: username },
              { Name: 'email_verified', Value: 'true' },
            ],
            // FLIP passes no delivery medium, and Cognito's default is SMS, which a user with only
            // an email cannot receive: ask for the invitation by email explicitly.
            ...(options.suppressInvite
              ? { MessageAction: 'SUPPRESS' }
              : { DesiredDeliveryMediums: ['EMAIL'] }),
          }),
        ),
      )
      try {
        return toUser(created.User ?? {}, 'create user')
      } catch (error) {
        // The call succeeded, so the user exists, but we cannot name it: the saga must find it.
        throw new IdentityProviderError('Ambiguous', 'The identity provider did not return the new user', {
          cause: error,
        })
      }
    },

    async getUserById(id) {
      if (!isUuid(id)) throw invalid('Invalid user ID format')
      return findOne(`sub = "${canonicalUuid(id)}"`, `with ID ${id}`)
    },

    /**
     * AdminGetUser by the address: a strongly consistent read (ListUsers is an eventually
     * consistent index, which lags right after a create) from the larger "user read" quota. It
     * finds users whose username is their email (how this service creates them) and, in pools
     * that use email as the username attribute, users by their email alias.
     */
    async getUserByEmail(email) {
      const address = requireEmail(email)
      const subject = `with email ${address}`
      const found = await call('get user', subject, (c) =>
        c.send(new AdminGetUserCommand({ ...pool, Username: address })),
      )
      const user = toUser({ ...found, Attributes: found.UserAttributes }, 'get user')
      // A username that was an address once is not proof that it still is the user's email.
      if (user.email.toLowerCase() !== address.toLowerCase()) {
        throw new IdentityProviderError('NotFound', `User ${subject} is not registered.`)
      }
      return user
    },

    async deleteUser(username) {
      await call('delete user', username, (c) =>
        c.send(new AdminDeleteUserCommand({ ...pool, Username: username })),
      )
    },

    async setEnabled(username, enabled) {
      await call('update user', username, (c) =>
        c.send(
          enabled
            ? new AdminEnableUserCommand({ ...pool, Username: username })
            : new AdminDisableUserCommand({ ...pool, Username: username }),
        ),
      )
    },

    async listUsers(options = {}) {
      const limit = Math.min(Math.max(options.limit ?? COGNITO_MAX_PAGE_SIZE, 1), COGNITO_MAX_PAGE_SIZE)
      const page = await call('list users', undefined, (c) =>
        c.send(
          new ListUsersCommand({
            ...pool,
            Limit: limit,
            ...(options.nextToken === undefined ? {} : { PaginationToken: options.nextToken }),
          }),
        ),
      )
      const users = (page.Users ?? []).map((record) => toUser(record, 'list users'))
      return page.PaginationToken ? { users, nextToken: page.PaginationToken } : { users }
    },

    async isEnabled(username) {
      const found = await call('get user', username, (c) =>
        c.send(new AdminGetUserCommand({ ...pool, Username: username })),
      )
      // Cognito omits Enabled for users that have never been disabled.
      return found.Enabled ?? true
    },

    async signOut(username) {
      await call('update user', username, (c) =>
        c.send(new AdminUserGlobalSignOutCommand({ ...pool, Username: username })),
      )
    },

    async isMfaEnabled(username) {
      const found = await call('fetch MFA state', username, (c) =>
        c.send(new AdminGetUserCommand({ ...pool, Username: username })),
      )
      // Only an authenticator app counts (FLIP); a missing list means no factor at all.
      return found.UserMFASettingList?.includes('SOFTWARE_TOKEN_MFA') ?? false
    },

    async resetMfa(username) {
      await call('reset user MFA', username, (c) =>
        c.send(
          new AdminSetUserMFAPreferenceCommand({
            ...pool,
            Username: username,
            SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false },
          }),
        ),
      )
      // Only once the factor is gone: sessions established with it must not outlive it.
      await call('reset user MFA', username, (c) =>
        c.send(new AdminUserGlobalSignOutCommand({ ...pool, Username: username })),
      )
    },
  }
}
