import { isTransientDbError, isUniqueViolation } from '../../db/pg-errors.js'
import { LOCAL_IDENTITY_EMAIL_CONSTRAINT } from '../../repositories/local-identities-repository.js'
import { IdentityProviderError } from '../identity-errors.js'

/**
 * Maps a database failure inside the `local` provider onto the taxonomy, as a real provider's
 * adapter maps its SDK's exceptions: a taken address is AlreadyExists, a lost connection is
 * Unavailable, anything else is a definitive ProviderError.
 */
export const translateLocalError = (
  error: unknown,
  operation: string,
  email?: string,
): IdentityProviderError => {
  if (error instanceof IdentityProviderError) return error
  if (isUniqueViolation(error, LOCAL_IDENTITY_EMAIL_CONSTRAINT)) {
    return new IdentityProviderError('AlreadyExists', `User with email ${email ?? ''} already exists`, {
      cause: error,
    })
  }
  if (isTransientDbError(error)) {
    return new IdentityProviderError('Unavailable', 'The identity provider is unavailable', { cause: error })
  }
  return new IdentityProviderError('ProviderError', `Failed to ${operation}`, { cause: error })
}
