import { createAuditRepository } from '../../../repositories/audit-repository.js'
import { createProfilesRepository } from '../../../repositories/profiles-repository.js'
import {
  createRegistrationsRepository,
  type Registration,
} from '../../../repositories/registrations-repository.js'
import { resolveRoleGrants } from '../../shared/resolve-role-grants.js'
import { writeRoleGrants } from '../../shared/write-role-grants.js'
import { describeFailure, isTransientFailure } from '../classify-failure.js'
import { continueWith, type StepContext, type StepResult, waitWith } from '../saga-context.js'

/**
 * Step 2 (identity_created → completed): profile, role grants, both audit rows and the state
 * change commit in ONE transaction, so roles are written exactly once however often this runs.
 * The user id is the `sub` the create call returned: the IdP is not asked again whether the
 * user exists (Cognito's index lags behind creation; that lag is what FLIP's 404 was).
 * ↩ undone by compensation (grants, profile, audit "Deleted user").
 */
export const grantAccess = async (ctx: StepContext, registration: Registration): Promise<StepResult> => {
  const userId = registration.userId!
  const attempts = registration.attempts + 1
  try {
    const completed = await ctx.deps.db.transaction(async (tx) => {
      const grants = await resolveRoleGrants(tx, registration.roleIds, registration.trustId)
      await createProfilesRepository(tx).upsert({
        userId,
        name: registration.name,
        organisation: registration.organisation,
      })
      await createAuditRepository(tx).record('Registered user', userId, registration.requestedBy)
      await writeRoleGrants(tx, userId, grants, registration.requestedBy)
      return createRegistrationsRepository(tx).transition(registration.id, {
        from: 'identity_created',
        to: 'completed',
        actor: ctx.actor,
        reason: 'roles granted',
        patch: { attempts, errorCode: null, errorDetail: null },
      })
    })
    return continueWith(completed)
  } catch (error) {
    const registrations = createRegistrationsRepository(ctx.deps.db)
    const reason = describeFailure(error)
    if (isTransientFailure(error)) {
      return waitWith(
        await registrations.note(registration.id, 'identity_created', ctx.actor, reason, {
          attempts,
          errorCode: 'database.unavailable',
          errorDetail: reason,
        }),
      )
    }
    // Point of no return for this registration: the user will be removed again.
    ctx.deps.log.error({ err: error, registrationId: registration.id }, 'role assignment failed definitively')
    return continueWith(
      await registrations.transition(registration.id, {
        from: 'identity_created',
        to: 'compensating',
        actor: ctx.actor,
        reason: `role assignment failed: ${reason}`,
        patch: { attempts, failureDetail: reason },
      }),
    )
  }
}
