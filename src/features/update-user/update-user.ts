import type { Caller } from '../../auth/token-verifier.js'
import type { Deps } from '../../container.js'
import { appError } from '../../errors/error-catalogue.js'
import { isIdentityError } from '../../identity/identity-errors.js'
import { type AuditAction, createAuditRepository } from '../../repositories/audit-repository.js'
import { createUserDirectoryRepository } from '../../repositories/user-directory-repository.js'
import { toAppError } from '../shared/identity-failures.js'
import type { UpdateUserResponse } from './update-user.schemas.js'

export type UpdateUserDeps = Pick<Deps, 'db' | 'idp'>

/** FLIP's audit action for an update, verbatim. */
export const auditActionFor = (change: UpdateUserResponse): AuditAction => {
  const profile = change.name !== undefined || change.organisation !== undefined
  if (change.disabled === undefined) return profile ? 'Updated user profile' : 'Updated user'
  const state = change.disabled ? 'Disabled' : 'Enabled'
  return profile ? `${state} user and updated profile` : `${state} user`
}

const failed = (error: unknown) =>
  toAppError(error, () => appError('user.update_failed', 'Failed to update user', { cause: error }))

/** Drops nulls: FLIP treats a null field as one that was not sent. */
export const suppliedFields = (body: {
  disabled?: boolean | null | undefined
  name?: string | null | undefined
  organisation?: string | null | undefined
}): UpdateUserResponse => {
  const change: UpdateUserResponse = {}
  if (typeof body.disabled === 'boolean') change.disabled = body.disabled
  if (typeof body.name === 'string') change.name = body.name
  if (typeof body.organisation === 'string') change.organisation = body.organisation
  return change
}

/**
 * FLIP's `update_user`: enable or disable sign-in at the identity provider, then, in one
 * transaction, upsert the supplied profile fields and write FLIP's audit action. Returns the
 * supplied fields only.
 *
 * The provider change comes first and is not undone if the database then fails: the answer then
 * says so (FLIP's "{action} succeeded, but audit log write failed…"), so an operator verifies.
 *
 * @throws Unprocessable (no field supplied), NotFound (the provider's "… is not registered."),
 *   Throttled, Transient, Internal (`Failed to update user`, or the partial-update detail)
 */
export const updateUser = async (
  deps: UpdateUserDeps,
  userId: string,
  change: UpdateUserResponse,
  caller: Caller,
): Promise<UpdateUserResponse> => {
  if (Object.keys(change).length === 0) {
    const msg = 'At least one user field must be supplied'
    throw appError('request.invalid', msg, {
      extensions: { errors: [{ loc: ['body'], msg, type: 'value_error' }] },
    })
  }
  let username: string
  try {
    username = (await deps.idp.getUserById(userId)).username
  } catch (error) {
    if (isIdentityError(error, 'NotFound')) throw appError('user.not_found', error.message, { cause: error })
    throw failed(error)
  }
  if (change.disabled !== undefined) {
    try {
      await deps.idp.setEnabled(username, !change.disabled)
    } catch (error) {
      // Deleted by someone else since the lookup.
      if (isIdentityError(error, 'NotFound'))
        throw appError('user.not_found', error.message, { cause: error })
      throw failed(error)
    }
  }
  const action = auditActionFor(change)
  try {
    await deps.db.transaction(async (tx) => {
      const { name, organisation } = change
      if (name !== undefined || organisation !== undefined) {
        await createUserDirectoryRepository(tx).patchProfile(userId, {
          ...(name === undefined ? {} : { name }),
          ...(organisation === undefined ? {} : { organisation }),
        })
      }
      await createAuditRepository(tx).record(action, userId, caller.id)
    })
  } catch (error) {
    // Nothing changed anywhere: an ordinary failure, retryable when the database said so.
    if (change.disabled === undefined) throw failed(error)
    throw appError(
      'user.update_partial',
      `${action} succeeded, but audit log write failed — please verify and contact ops.`,
      { cause: error },
    )
  }
  return change
}
