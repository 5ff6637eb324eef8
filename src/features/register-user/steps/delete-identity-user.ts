import { isIdentityError } from '../../../identity/identity-errors.js'
import { type Registration, StaleRegistrationError } from '../../../repositories/registrations-repository.js'
import { isTransientFailure } from '../classify-failure.js'
import { countFailedAttempt } from '../retry-budget.js'
import {
  continueWith,
  registrationsOf,
  type StepContext,
  type StepResult,
  waitWith,
} from '../saga-context.js'

/** FLIP's detail for an IdP delete that failed after the grants were revoked. */
export const IDENTITY_DELETE_FAILED =
  'Role grants revoked, but identity-provider user deletion failed. The user can still authenticate with zero app authority — manual identity-provider cleanup required.'

/**
 * A delete's one step (deleting → deleted): the IdP delete, by the username looked up before the
 * database side committed. That side (grants, profile, account status, audit "Deleted user")
 * committed together with this record, so the account already has no authority; what is left is
 * the IdP user. NotFound means it is gone already (another admin's delete got there first).
 * A transient failure is retried with compensation's budget and `needs_attention` rule; a
 * definitive refusal ends it in `failed`, the record keeping FLIP's detail.
 */
export const deleteIdentityUser = async (ctx: StepContext, record: Registration): Promise<StepResult> => {
  const registrations = registrationsOf(ctx)
  try {
    try {
      await ctx.deps.idp.deleteUser(record.username!)
    } catch (error) {
      if (!isIdentityError(error, 'NotFound')) throw error
    }
  } catch (error) {
    ctx.deps.log.error({ err: error, registrationId: record.id }, 'identity-provider user deletion failed')
    if (isTransientFailure(error))
      return countFailedAttempt(ctx, record, error, 'identity-provider delete', 'user.delete_identity_failed')
    return continueWith(
      await registrations.transition(record, {
        from: 'deleting',
        to: 'failed',
        actor: ctx.actor,
        reason: `the identity provider refused the delete: ${isIdentityError(error) ? error.message : 'unexpected error'}`,
        patch: { errorCode: 'user.delete_identity_failed', errorDetail: IDENTITY_DELETE_FAILED },
      }),
    )
  }
  try {
    return continueWith(
      await registrations.transition(record, {
        from: 'deleting',
        to: 'deleted',
        actor: ctx.actor,
        reason: 'identity-provider user deleted',
        patch: { errorCode: null, errorDetail: null },
      }),
    )
  } catch (error) {
    // A transient failure is the saga's to retry inline; a stale record, the saga's to re-read.
    if (isTransientFailure(error) || error instanceof StaleRegistrationError) throw error
    // The IdP user is gone and only recording it failed: the next attempt's NotFound finishes
    // the record, so it waits for the background rather than telling the caller the delete
    // failed.
    ctx.deps.log.error(
      { err: error, registrationId: record.id },
      'recording the done identity-provider delete failed',
    )
    return waitWith(record)
  }
}
