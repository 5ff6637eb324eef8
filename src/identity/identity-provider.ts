/** A user as the identity provider knows it. `id` is the stable subject (`sub`, a UUID). */
export interface IdentityUser {
  id: string
  /** The provider's principal name; for Cognito and `local` it is the email as first given. */
  username: string
  email: string
  enabled: boolean
  createdAt: Date
}

export interface IdentityPage {
  users: IdentityUser[]
  /** Opaque; absent on the last page. */
  nextToken?: string
}

/**
 * The identity-provider port. Every method throws `IdentityProviderError` with one of the
 * taxonomy's reasons and nothing else.
 */
export interface IdentityProvider {
  /** The AUTH_BACKEND name of the adapter underneath (decorators pass it on). */
  readonly backend: string

  /**
   * Creates a user with a verified email. The returned `id` is the proof of existence the saga
   * relies on: never re-read an eventually consistent index to confirm it.
   * @throws AlreadyExists, InvalidInput, Throttled, Unavailable, Ambiguous, ProviderError
   */
  createUser(email: string, options?: { suppressInvite?: boolean }): Promise<IdentityUser>

  /** @throws NotFound, InvalidInput, Throttled, Unavailable, ProviderError */
  getUserById(id: string): Promise<IdentityUser>

  /** @throws NotFound, InvalidInput, Throttled, Unavailable, ProviderError */
  getUserByEmail(email: string): Promise<IdentityUser>

  /** Deletes by username. @throws NotFound when no such user, Throttled, Unavailable, ProviderError */
  deleteUser(username: string): Promise<void>

  /** @throws NotFound, Throttled, Unavailable, ProviderError */
  setEnabled(username: string, enabled: boolean): Promise<void>

  /**
   * Whether the account may sign in, read strongly (Cognito: AdminGetUser `Enabled`). Read fresh
   * on every call: caching is the caller's decision.
   * @throws NotFound, Throttled, Unavailable, ProviderError
   */
  isEnabled(username: string): Promise<boolean>

  /**
   * Ends every session of the user (Cognito: AdminUserGlobalSignOut, which revokes its refresh
   * tokens). Access tokens already issued stay valid until they expire.
   * @throws NotFound, Throttled, Unavailable, ProviderError
   */
  signOut(username: string): Promise<void>

  /** One page of the directory, ordered stably. @throws Throttled, Unavailable, ProviderError */
  listUsers(options?: { limit?: number; nextToken?: string }): Promise<IdentityPage>

  /**
   * Whether the user has an active authenticator-app (TOTP) second factor; SMS does not count.
   * Read fresh on every call: caching is the caller's decision.
   * @throws NotFound, Throttled, Unavailable, ProviderError
   */
  isMfaEnabled(username: string): Promise<boolean>

  /**
   * Removes the user's TOTP factor, then signs them out everywhere so a session set up with the
   * old factor does not outlive it. If the first step fails the second is not attempted.
   * @throws NotFound, Throttled, Unavailable, ProviderError
   */
  resetMfa(username: string): Promise<void>
}
