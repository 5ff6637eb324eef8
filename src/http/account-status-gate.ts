import type { Caller } from '../auth/token-verifier.js'
import type { Clock } from '../domain/clock.js'
import { appError } from '../errors/error-catalogue.js'
import { toAppError } from '../identity/identity-error-bridge.js'
import { isIdentityError } from '../identity/identity-errors.js'
import type { IdentityProvider } from '../identity/identity-provider.js'

export interface AccountStatusGate {
  /**
   * Refuses a caller whose account is disabled, or no longer exists.
   * @throws Forbidden (`User account is disabled.`), Unauthenticated (`Could not validate
   *   credentials`: the account is gone), Throttled, Transient, Internal
   */
  check(caller: Caller): Promise<void>
  /** Drops what is known about an account, so its next request reads the IdP: after a disable. */
  forget(username: string): void
}

/**
 * A disabled account has no authority (SPEC §3), whatever its token says: a token outlives the
 * account it was issued to (Cognito's stay valid until they expire, even after a global
 * sign-out). So every authenticated request asks the identity provider whether the account is
 * enabled.
 *
 * An "enabled" answer is trusted for `ttlSeconds` so a busy caller does not cost an IdP read per
 * request (0 for `local`, whose read is one indexed query: a disable there holds at once). A
 * "disabled" answer is never cached, so a re-enabled account is let in at once. A disable made
 * through this process calls `forget`, so it holds at once here; another replica's cache lets
 * the account in for at most `ttlSeconds` more (ACCOUNT_STATUS_CACHE_SECONDS).
 */
export const createAccountStatusGate = (
  deps: { idp: IdentityProvider; clock: Clock },
  options: { ttlSeconds: number },
): AccountStatusGate => {
  const enabledUntil = new Map<string, number>()
  // Bumped by `forget`: a read that started before a disable must not cache its stale "enabled".
  const generations = new Map<string, number>()
  const keyOf = (username: string) => username.toLowerCase()
  const ttlMs = options.ttlSeconds * 1000

  const readEnabled = async (username: string): Promise<boolean> => {
    try {
      return await deps.idp.isEnabled(username)
    } catch (error) {
      // The token names an account the IdP no longer has: nothing to authorise.
      if (isIdentityError(error, 'NotFound'))
        throw appError('auth.invalid_token', 'Could not validate credentials', { cause: error })
      throw toAppError(error, { otherwise: { code: 'idp.failed', detail: 'Failed to fetch account status' } })
    }
  }

  return {
    async check(caller) {
      const key = keyOf(caller.username)
      const until = enabledUntil.get(key)
      if (until !== undefined && until > deps.clock.now().getTime()) return
      enabledUntil.delete(key)
      const generation = generations.get(key) ?? 0
      if (!(await readEnabled(caller.username)))
        throw appError('auth.user_disabled', 'User account is disabled.')
      if (ttlMs > 0 && (generations.get(key) ?? 0) === generation)
        enabledUntil.set(key, deps.clock.now().getTime() + ttlMs)
    },
    forget(username) {
      const key = keyOf(username)
      enabledUntil.delete(key)
      generations.set(key, (generations.get(key) ?? 0) + 1)
    },
  }
}
