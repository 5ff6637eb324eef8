import { isTransientDbError } from '../../db/pg-errors.js'
import type { AppError } from '../../errors/app-error.js'
import { isAppError } from '../../errors/app-error.js'
import { appError } from '../../errors/error-catalogue.js'
import { IdentityProviderError } from '../../identity/identity-errors.js'

/**
 * The client-facing error for an identity-provider or database failure on the phase endpoints.
 * Throttling keeps the provider's delay so the caller sees 429 with Retry-After.
 */
export const toAppError = (error: unknown, fallback: () => AppError): AppError => {
  if (isAppError(error)) return error
  if (error instanceof IdentityProviderError) {
    switch (error.reason) {
      case 'Throttled':
        return appError(
          'idp.throttled',
          'The identity provider is throttling requests; please retry later.',
          {
            cause: error,
            retryAfterSeconds: Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000)),
          },
        )
      case 'Unavailable':
        return appError('idp.unavailable', 'The identity provider is unavailable; please try again.', {
          cause: error,
        })
      case 'InvalidInput':
        // The provider refused what the caller sent (its message is client-safe by contract): the
        // caller's to fix, on a read as on a write, never a 500.
        return appError('idp.invalid_input', error.message, { cause: error })
      case 'Ambiguous':
        return appError(
          'idp.ambiguous',
          'The identity provider did not confirm the change; please verify and retry.',
          {
            cause: error,
          },
        )
      default:
        return fallback()
    }
  }
  if (isTransientDbError(error)) {
    return appError('database.unavailable', 'The database is unavailable; please try again.', {
      cause: error,
    })
  }
  return fallback()
}
