import type { Caller } from '../../auth/token-verifier.js'
import type { Deps } from '../../container.js'
import type { AppError } from '../../errors/app-error.js'
import { appError, internalError } from '../../errors/error-catalogue.js'
import { isIdentityError } from '../../identity/identity-errors.js'
import type { IdentityUser } from '../../identity/identity-provider.js'
import { createAuditRepository } from '../../repositories/audit-repository.js'
import { createProfilesRepository } from '../../repositories/profiles-repository.js'
import { toAppError } from '../shared/identity-failures.js'
import { resolveRoleGrants } from '../shared/resolve-role-grants.js'

export interface RegisterIdentityInput {
  email: string
  name: string
  organisation: string
  roles: string[]
  trustId: string | null
}

export interface RegisteredIdentity extends RegisterIdentityInput {
  userId: string
}

export type RegisterIdentityDeps = Pick<Deps, 'db' | 'idp' | 'log'>

const unexpected = (error: unknown) => toAppError(error, () => internalError(error))

/** FLIP's answers to a failed `create_user`; an exception that is not the IdP's stays generic. */
const creationFailure = (error: unknown, email: string): AppError => {
  if (isIdentityError(error, 'AlreadyExists'))
    return appError('user.email_exists', `User with email ${email} already exists`, { cause: error })
  if (isIdentityError(error, 'InvalidInput'))
    return appError('user.invalid_email', 'Invalid email address format', { cause: error })
  return toAppError(error, () =>
    isIdentityError(error)
      ? appError('user.create_failed', 'Failed to create user', { cause: error })
      : internalError(error),
  )
}

/**
 * Deletes the IdP user again after the database refused the profile. It deletes by the
 * username the create call returned (never by a lookup that can lag), and NotFound means the
 * user is already gone. It reports a clean rollback only when the IdP confirmed it.
 */
const undoCreation = async (deps: RegisterIdentityDeps, user: IdentityUser, failure: unknown) => {
  try {
    await deps.idp.deleteUser(user.username)
  } catch (deleteError) {
    if (!isIdentityError(deleteError, 'NotFound')) {
      return appError(
        'user.register_rollback_failed',
        'Failed to register user; rollback also failed. Manual cleanup of the identity-provider user required.',
        { cause: deleteError },
      )
    }
  }
  return appError('user.register_failed', 'Failed to register user. Please try again.', { cause: failure })
}

/**
 * FLIP's `register_user`, phase 1 alone: create the IdP user, then its profile and the audit row
 * "Registered user" in one transaction. No role grants are written. Roles (and the Trust Admin
 * rules) are checked before the IdP is called, so a bad request creates nothing.
 *
 * @throws BadRequest (`Invalid role(s): …`, Trust Admin rules, invalid email), NotFound (trust),
 *   Conflict (email already exists), Throttled, Transient / Ambiguous (IdP or database),
 *   Internal (`Failed to create user`, `Failed to register user. Please try again.`,
 *   `…rollback also failed…`, `Internal server error`)
 */
export const registerIdentity = async (
  deps: RegisterIdentityDeps,
  input: RegisterIdentityInput,
  caller: Caller,
): Promise<RegisteredIdentity> => {
  try {
    await resolveRoleGrants(deps.db, input.roles, input.trustId)
  } catch (error) {
    throw unexpected(error)
  }

  let user: IdentityUser
  try {
    user = await deps.idp.createUser(input.email)
  } catch (error) {
    throw creationFailure(error, input.email)
  }

  try {
    await deps.db.transaction(async (tx) => {
      await createProfilesRepository(tx).upsert({
        userId: user.id,
        name: input.name,
        organisation: input.organisation,
      })
      await createAuditRepository(tx).record('Registered user', user.id, caller.id)
    })
  } catch (error) {
    // The IdP user exists but nothing here remembers it: remove it, as FLIP does.
    deps.log.error(
      { err: error, userId: user.id },
      'recording a registered user failed; deleting the IdP user',
    )
    throw await undoCreation(deps, user, error)
  }
  return { ...input, userId: user.id }
}
