import type { Caller } from '../../auth/token-verifier.js'
import type { Deps } from '../../container.js'
import { appError, internalError } from '../../errors/error-catalogue.js'
import { isIdentityError } from '../../identity/identity-errors.js'
import { createAccountStatusRepository } from '../../repositories/administrators-repository.js'
import { createAuditRepository } from '../../repositories/audit-repository.js'
import { createProfilesRepository } from '../../repositories/profiles-repository.js'
import { createUserRolesRepository } from '../../repositories/user-roles-repository.js'
import { toAppError } from '../shared/identity-failures.js'
import { refuseRemovingLastAdmin } from '../shared/last-admin-guard.js'

export type DeleteUserDeps = Pick<Deps, 'db' | 'idp' | 'log'>

/** The provider's own message is client-safe by the port's contract (FLIP passes it through). */
const lookupFailure = (error: unknown) =>
  toAppError(error, () =>
    isIdentityError(error) ? appError('idp.failed', error.message, { cause: error }) : internalError(error),
  )

/** The IdP user's username, or null when the IdP no longer knows the user. */
const usernameOf = async (deps: DeleteUserDeps, userId: string): Promise<string | null> => {
  try {
    return (await deps.idp.getUserById(userId)).username
  } catch (error) {
    if (isIdentityError(error, 'NotFound')) return null
    throw lookupFailure(error)
  }
}

/**
 * FLIP's `delete_user`: revoke every grant (global and per trust), remove the profile (FLIP
 * keeps it; SPEC §1.6) and audit "Deleted user" in one transaction that commits BEFORE the IdP
 * user is deleted, so a failed IdP delete leaves an account with no authority rather than
 * authority without an account. An IdP user that is already gone is not an error. The last
 * enabled administrator cannot be deleted: that is decided in the same transaction, under the
 * administrators' lock, before anything is written.
 *
 * @throws Conflict (`Cannot remove the last administrator.`; nothing written), Throttled,
 *   Transient / Ambiguous (the lookup or the database; nothing written),
 *   Internal (the lookup's provider error; `Role grants revoked, but identity-provider user
 *   deletion failed…` after the commit; `Internal server error`)
 */
export const deleteUser = async (deps: DeleteUserDeps, userId: string, caller: Caller): Promise<void> => {
  const username = await usernameOf(deps, userId)
  try {
    await deps.db.transaction(async (tx) => {
      await refuseRemovingLastAdmin(tx, userId)
      await createUserRolesRepository(tx).deleteAll(userId)
      await createProfilesRepository(tx).delete(userId)
      await createAccountStatusRepository(tx).delete(userId)
      await createAuditRepository(tx).record('Deleted user', userId, caller.id)
    })
  } catch (error) {
    throw toAppError(error, () => internalError(error))
  }
  if (username === null) return
  try {
    await deps.idp.deleteUser(username)
  } catch (error) {
    // Two admins racing: the other one's delete got there first.
    if (isIdentityError(error, 'NotFound')) return
    throw appError(
      'user.delete_identity_failed',
      'Role grants revoked, but identity-provider user deletion failed. The user can still authenticate with zero app authority — manual identity-provider cleanup required.',
      { cause: error },
    )
  }
}
