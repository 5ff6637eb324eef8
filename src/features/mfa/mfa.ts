import type { Caller } from '../../auth/token-verifier.js'
import type { Deps } from '../../container.js'
import { appError } from '../../errors/error-catalogue.js'
import { toAppError } from '../../identity/identity-error-bridge.js'
import { createAuditRepository } from '../../repositories/audit-repository.js'
import { identityReadFailure } from '../user-views/user-views.js'

// FLIP's answers to a failed reset: the provider's 404 text, else its own 500 detail.
const resetOverrides = {
  NotFound: { code: 'user.not_found', detail: (error: Error) => error.message },
  otherwise: { code: 'mfa.reset_failed', detail: 'Failed to reset user MFA' },
} as const

const usernameOf = async (deps: Pick<Deps, 'idp'>, userId: string): Promise<string> => {
  try {
    return (await deps.idp.getUserById(userId)).username
  } catch (error) {
    throw identityReadFailure(error)
  }
}

/**
 * FLIP's `/users/me/mfa/status`: whether the caller has an authenticator-app factor (read fresh,
 * never from the gate's cache), and whether this deployment requires one.
 * @throws NotFound (the provider's "… is not registered."), Throttled, Transient, Internal
 */
export const mfaStatus = async (
  deps: Pick<Deps, 'idp' | 'config'>,
  caller: Caller,
): Promise<{ enabled: boolean; required: boolean }> => {
  // Both reads answer FLIP's way: the provider's 404 text, its generic message as a 500.
  try {
    const { username } = await deps.idp.getUserById(caller.id)
    return { enabled: await deps.idp.isMfaEnabled(username), required: deps.config.enforceMfa }
  } catch (error) {
    throw identityReadFailure(error)
  }
}

/**
 * FLIP's `reset_user_mfa`: remove the user's factor and end their sessions at the identity
 * provider, forget any cached "enrolled" answer, then audit "Reset user MFA". The reset is not
 * undone if the audit write fails; the answer says so.
 *
 * @throws NotFound, Throttled, Transient, Internal (`Failed to reset user MFA`, or
 *   `MFA reset partially succeeded; please verify and contact ops.`)
 */
export const resetMfa = async (
  deps: Pick<Deps, 'idp' | 'db'> & { forget?: (username: string) => void },
  userId: string,
  caller: Caller,
): Promise<void> => {
  const username = await usernameOf(deps, userId)
  try {
    await deps.idp.resetMfa(username)
  } catch (error) {
    throw toAppError(error, resetOverrides)
  } finally {
    // Even a failed reset may have removed the factor (sign-out is the second step).
    deps.forget?.(username)
  }
  try {
    await createAuditRepository(deps.db).record('Reset user MFA', userId, caller.id)
  } catch (error) {
    throw appError('mfa.reset_partial', 'MFA reset partially succeeded; please verify and contact ops.', {
      cause: error,
    })
  }
}
