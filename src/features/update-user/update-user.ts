import type { Caller } from '../../auth/token-verifier.js'
import type { Deps } from '../../container.js'
import { appError } from '../../errors/error-catalogue.js'
import { toAppError } from '../../identity/identity-error-bridge.js'
import { isIdentityError } from '../../identity/identity-errors.js'
import { createAccountStatusRepository } from '../../repositories/administrators-repository.js'
import { type AuditAction, createAuditRepository } from '../../repositories/audit-repository.js'
import { createUserDirectoryRepository } from '../../repositories/user-directory-repository.js'
import { refuseRemovingLastAdmin } from '../shared/last-admin-guard.js'
import type { UpdateUserResponse } from './update-user.schemas.js'

export type UpdateUserDeps = Pick<Deps, 'db' | 'idp' | 'log' | 'accountStatus'>

/** FLIP's audit action for an update, verbatim. */
export const auditActionFor = (change: UpdateUserResponse): AuditAction => {
  const profile = change.name !== undefined || change.organisation !== undefined
  if (change.disabled === undefined) return profile ? 'Updated user profile' : 'Updated user'
  const state = change.disabled ? 'Disabled' : 'Enabled'
  return profile ? `${state} user and updated profile` : `${state} user`
}

/**
 * FLIP's answers over the bridge's rows: a user missing at the provider (at the lookup, or
 * deleted by someone else since) is its 404 with the provider's "… is not registered.", and any
 * definitive failure is `Failed to update user`. Throttling and outages keep their 429 / 503.
 */
const updateOverrides = {
  NotFound: { code: 'user.not_found', detail: (error: Error) => error.message },
  otherwise: { code: 'user.update_failed', detail: 'Failed to update user' },
} as const

const failed = (error: unknown) => toAppError(error, updateOverrides)

/**
 * A disable is decided and recorded before the identity provider is called: in the
 * administrators' locked transaction, the last enabled administrator is refused (nothing
 * written, no IdP call), and otherwise `account_status` says disabled, so a concurrent disable
 * of the other administrator waits, sees this one and is refused. The database decides because
 * a transaction is never held across an IdP call (CONVENTIONS), and with Cognito the database has
 * no other view of who is enabled.
 * @returns whether the record already said disabled, to put it back if the IdP refuses
 */
const recordDisable = async (deps: UpdateUserDeps, userId: string): Promise<boolean> => {
  try {
    return await deps.db.transaction(async (tx) => {
      await refuseRemovingLastAdmin(tx, userId)
      const status = createAccountStatusRepository(tx)
      const before = await status.isDisabled(userId)
      await status.record(userId, true)
      return before
    })
  } catch (error) {
    throw failed(error)
  }
}

/**
 * Puts the record back after the IdP refused a disable. Only when the IdP's answer says nothing
 * changed there: after a timeout or an ambiguous answer the account may be disabled, and a
 * record that says "disabled" errs on the safe side (one administrator fewer is counted).
 */
const undoRecordedDisable = async (deps: UpdateUserDeps, userId: string, before: boolean, error: unknown) => {
  if (isIdentityError(error, 'Unavailable') || isIdentityError(error, 'Ambiguous')) return
  try {
    await createAccountStatusRepository(deps.db).record(userId, before)
  } catch (restoreError) {
    deps.log.warn(
      { err: restoreError, userId },
      'could not restore the account status after a failed disable',
    )
  }
}

/**
 * After a disable: end the user's sessions (Cognito revokes refresh tokens). Best effort: the
 * account is already disabled, Cognito refuses a disabled user's refresh, and this service
 * refuses the remaining access tokens itself, so a failed sign-out is logged, not answered.
 */
const signOutEverywhere = async (deps: UpdateUserDeps, username: string) => {
  try {
    await deps.idp.signOut(username)
  } catch (error) {
    deps.log.warn({ err: error, username }, 'user disabled, but the global sign-out failed')
  }
}

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
 * supplied fields only. The last enabled administrator cannot be disabled (see `recordDisable`);
 * a disable takes effect at once in this process's account-status gate and signs the user out.
 *
 * The provider change comes first and is not undone if the database then fails: the answer then
 * says so (FLIP's "{action} succeeded, but audit log write failed…"), so an operator verifies.
 *
 * @throws Conflict (`Cannot remove the last administrator.`; nothing written), Unprocessable (no
 *   field supplied), NotFound (the provider's "… is not registered."),
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
    throw failed(error)
  }
  if (change.disabled !== undefined) {
    const recordedBefore = change.disabled ? await recordDisable(deps, userId) : undefined
    try {
      await deps.idp.setEnabled(username, !change.disabled)
    } catch (error) {
      if (recordedBefore !== undefined) await undoRecordedDisable(deps, userId, recordedBefore, error)
      // NotFound here: deleted by someone else since the lookup.
      throw failed(error)
    }
    if (change.disabled) {
      deps.accountStatus.forget(username)
      await signOutEverywhere(deps, username)
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
      // An enable is recorded only once the IdP made it: a stale "disabled" errs on the safe side.
      if (change.disabled === false) await createAccountStatusRepository(tx).record(userId, false)
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
