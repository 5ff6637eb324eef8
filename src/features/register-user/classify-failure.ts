import { isTransientDbError } from '../../db/pg-errors.js'
import { isAppError } from '../../errors/app-error.js'
import { IdentityProviderError } from '../../identity/identity-errors.js'
import { StaleRegistrationError } from '../../repositories/registrations-repository.js'

/**
 * THE classification of saga failures. Transient: the same step may succeed if tried again, so
 * the IdP user is kept and the registration is finished in the background. Definitive: trying
 * again cannot help, so whatever was created is compensated.
 *
 * - IdP Unavailable, Throttled, Ambiguous: transient.
 * - IdP NotFound for a user we created moments ago: transient (Cognito's ListUsers lags behind
 *   AdminCreateUser; the saga never re-reads the index, but a provider may still answer so).
 * - Database connection loss, shutdown, serialization failure, deadlock: transient. FLIP counts
 *   these as definitive and deletes a valid user; we do not.
 * - The registration is no longer in the state the step expected (StaleRegistrationError):
 *   transient. Under the lease only our own writes move it, so this is a write that committed
 *   although its caller saw a failure (a connection lost at commit); re-reading it tells where
 *   it stands. It is never a reason to undo anything, nor a 500.
 * - Everything else, unexpected exceptions included: definitive.
 */
export const isTransientFailure = (error: unknown): boolean => {
  if (error instanceof StaleRegistrationError) return true
  if (error instanceof IdentityProviderError) {
    return ['Unavailable', 'Throttled', 'Ambiguous', 'NotFound'].includes(error.reason)
  }
  if (isAppError(error)) return error.retryable
  return isTransientDbError(error)
}

/** A short, client-safe description of a failure for the registration's record and events. */
export const describeFailure = (error: unknown): string => {
  if (error instanceof IdentityProviderError) return `identity provider: ${error.reason}: ${error.message}`
  if (isAppError(error)) return error.detail
  if (isTransientDbError(error)) return 'database temporarily unavailable'
  if (error instanceof StaleRegistrationError) return 'the registration changed meanwhile'
  return 'unexpected error'
}
