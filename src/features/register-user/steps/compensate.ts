import { isIdentityError } from '../../../identity/identity-errors.js'
import { createAuditRepository } from '../../../repositories/audit-repository.js'
import { createProfilesRepository } from '../../../repositories/profiles-repository.js'
import {
  createRegistrationsRepository,
  type Registration,
} from '../../../repositories/registrations-repository.js'
import { createUserRolesRepository } from '../../../repositories/user-roles-repository.js'
import { countFailedAttempt } from '../retry-budget.js'
import { continueWith, registrationsOf, type StepContext, type StepResult } from '../saga-context.js'

/**
 * Compensation (compensating → rolled_back): remove everything the registration created. The
 * database side commits first (grants, profile, audit "Deleted user"), exactly once; then the
 * IdP user is deleted by the username captured at creation — never found by a lookup that can
 * lag. NotFound means already gone. Each failure is counted; past the budget a person must look
 * (`needs_attention`). Success is reported only once the IdP has confirmed the delete.
 */
export const compensate = async (ctx: StepContext, registration: Registration): Promise<StepResult> => {
  const registrations = registrationsOf(ctx)
  let current = registration
  const userId = current.userId
  try {
    if (userId !== null && current.databaseCompensatedAt === null) {
      current = await ctx.deps.db.transaction(async (tx) => {
        await createUserRolesRepository(tx).deleteAll(userId)
        await createProfilesRepository(tx).delete(userId)
        await createAuditRepository(tx).record('Deleted user', userId, current.requestedBy)
        return createRegistrationsRepository(tx).note(current, ctx.actor, 'grants and profile removed', {
          databaseCompensatedAt: ctx.deps.clock.now(),
        })
      })
    }
    if (current.username !== null) {
      try {
        await ctx.deps.idp.deleteUser(current.username)
      } catch (error) {
        if (!isIdentityError(error, 'NotFound')) throw error
      }
    }
    return continueWith(
      await registrations.transition(current, {
        from: 'compensating',
        to: 'rolled_back',
        actor: ctx.actor,
        reason: 'identity-provider user deleted',
        patch: { errorCode: null, errorDetail: null },
      }),
    )
  } catch (error) {
    ctx.deps.log.error({ err: error, registrationId: current.id }, 'compensation failed')
    return countFailedAttempt(ctx, current, error, 'compensation', 'registration.rollback_failed')
  }
}
