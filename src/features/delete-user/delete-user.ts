import type { Caller } from '../../auth/token-verifier.js'
import { normaliseEmail } from '../../domain/email.js'
import { appError } from '../../errors/error-catalogue.js'
import { toAppError } from '../../identity/identity-error-bridge.js'
import { isIdentityError } from '../../identity/identity-errors.js'
import type { IdentityUser } from '../../identity/identity-provider.js'
import { createAccountStatusRepository } from '../../repositories/administrators-repository.js'
import { createAuditRepository } from '../../repositories/audit-repository.js'
import { createProfilesRepository } from '../../repositories/profiles-repository.js'
import {
  createRegistrationsRepository,
  type Registration,
} from '../../repositories/registrations-repository.js'
import { createUserRolesRepository } from '../../repositories/user-roles-repository.js'
import {
  advanceInline,
  logRecorded,
  type RecordDeps,
  recordingFailure,
} from '../register-user/record-and-advance.js'
import { recordLocation } from '../register-user/record-location.js'
import { IDENTITY_DELETE_FAILED } from '../register-user/steps/delete-identity-user.js'
import { refuseRemovingLastAdmin } from '../shared/last-admin-guard.js'

export type DeleteUserDeps = RecordDeps

/** `deleted`: done, inline. `accepted`: the IdP half is being finished in the background. */
export type DeleteOutcome =
  | { outcome: 'deleted' }
  | { outcome: 'accepted'; deletionId: string; location: string }

/** The IdP user, or null when the IdP no longer knows it. */
const identityOf = async (deps: DeleteUserDeps, userId: string): Promise<IdentityUser | null> => {
  try {
    return await deps.idp.getUserById(userId)
  } catch (error) {
    if (isIdentityError(error, 'NotFound')) return null
    // The provider's own message is client-safe by the port's contract (FLIP passes it through);
    // anything that is not the provider's keeps the bridge's generic row, never its own text.
    const providerSaid = { code: 'idp.failed', detail: (cause: Error) => cause.message } as const
    throw toAppError(error, { AlreadyExists: providerSaid, ProviderError: providerSaid })
  }
}

/**
 * FLIP's `delete_user`, made durable. Every grant (global and per trust), the profile (FLIP keeps
 * it; SPEC §1.6) and the account status are removed and "Deleted user" audited in one
 * transaction, together with a record of kind `delete` in `deleting`; the IdP user is deleted
 * after that commit, so a failure in between leaves an account with no authority, never
 * authority without an account, and the record finishes the IdP half in the background (with
 * compensation's retry budget and `needs_attention` rule) instead of FLIP's "manual cleanup".
 * The last enabled administrator cannot be deleted: decided in the same transaction, under the
 * administrators' lock, before anything is written. An IdP user that is already gone needs no
 * record: nothing is left to do outside the database.
 *
 * @throws Conflict (`Cannot remove the last administrator.`; another record holds the user's
 *   email: nothing written), Throttled, Transient / Ambiguous (the lookup or the database; nothing
 *   written), Internal (the lookup's provider error; the IdP refused the delete definitively:
 *   `Role grants revoked, but identity-provider user deletion failed…`, which the record keeps)
 */
export const deleteUser = async (
  deps: DeleteUserDeps,
  userId: string,
  caller: Caller,
): Promise<DeleteOutcome> => {
  const identity = await identityOf(deps, userId)
  let record: Registration | undefined
  try {
    record = await deps.db.transaction(async (tx) => {
      await refuseRemovingLastAdmin(tx, userId)
      await createUserRolesRepository(tx).deleteAll(userId)
      await createProfilesRepository(tx).delete(userId)
      await createAccountStatusRepository(tx).delete(userId)
      await createAuditRepository(tx).record('Deleted user', userId, caller.id)
      if (identity === null) return undefined
      return createRegistrationsRepository(tx).insert(
        {
          kind: 'delete',
          email: identity.email,
          emailNormalised: normaliseEmail(identity.email),
          name: '',
          organisation: '',
          roleIds: [],
          trustId: null,
          userId,
          username: identity.username,
          requestedBy: caller.id,
          idempotencyKey: null,
          requestHash: '',
        },
        caller.id,
        'grants, profile and account status removed; deleting the identity-provider user',
      )
    })
  } catch (error) {
    if (identity !== null) {
      const email = { shown: identity.email, normalised: normaliseEmail(identity.email) }
      const conflict = await recordingFailure(deps, error, email)
      if (conflict) throw conflict
    }
    throw error
  }
  if (record === undefined) return { outcome: 'deleted' }
  logRecorded(deps, record, caller.id, 'user deletion requested')
  const settled = await advanceInline(deps, record, caller.id)
  if (settled.state === 'deleted') return { outcome: 'deleted' }
  if (settled.state === 'failed') {
    throw appError('user.delete_identity_failed', IDENTITY_DELETE_FAILED, {
      extensions: { registrationId: settled.id, state: settled.state, retryable: false },
      headers: { Location: recordLocation(settled) },
    })
  }
  return { outcome: 'accepted', deletionId: settled.id, location: recordLocation(settled) }
}
