import type { Db } from '../../../db/database.js'
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

type Writes = (tx: Db, registration: Registration, userId: string) => Promise<void>

/**
 * Step 2 (identity_created → completed): the database writes and the state change commit in ONE
 * transaction, so they happen exactly once however often this runs. The user id is the `sub` the
 * create call returned: the IdP is not asked again whether the user exists (Cognito's index lags
 * behind creation; that lag is what FLIP's 404 was).
 * ↩ undone by compensation (grants, profile, audit "Deleted user").
 */
const completeWith =
  (writes: Writes, done: string) =>
  async (ctx: StepContext, registration: Registration): Promise<StepResult> => {
    const userId = registration.userId!
    const attempts = registration.attempts + 1
    try {
      const completed = await ctx.deps.db.transaction(async (tx) => {
        await writes(tx, registration, userId)
        return createRegistrationsRepository(tx).transition(registration, {
          from: 'identity_created',
          to: 'completed',
          actor: ctx.actor,
          reason: done,
          patch: { attempts, errorCode: null, errorDetail: null },
        })
      })
      return continueWith(completed)
    } catch (error) {
      const registrations = createRegistrationsRepository(ctx.deps.db)
      const reason = describeFailure(error)
      if (isTransientFailure(error)) {
        return waitWith(
          await registrations.note(registration, ctx.actor, reason, {
            attempts,
            errorCode: 'database.unavailable',
            errorDetail: reason,
          }),
        )
      }
      // Point of no return for this registration: the user will be removed again.
      ctx.deps.log.error({ err: error, registrationId: registration.id }, `${done} failed definitively`)
      return continueWith(
        await registrations.transition(registration, {
          from: 'identity_created',
          to: 'compensating',
          actor: ctx.actor,
          reason: `role assignment failed: ${reason}`,
          patch: { attempts, failureDetail: reason },
        }),
      )
    }
  }

const profileAndAudit: Writes = async (tx, registration, userId) => {
  await createProfilesRepository(tx).upsert({
    userId,
    name: registration.name,
    organisation: registration.organisation,
  })
  await createAuditRepository(tx).record('Registered user', userId, registration.requestedBy)
}

/** The step function's step 2: profile, role grants, both audit rows and `completed`. */
export const grantAccess = completeWith(async (tx, registration, userId) => {
  const grants = await resolveRoleGrants(tx, registration.roleIds, registration.trustId)
  await profileAndAudit(tx, registration, userId)
  await writeRoleGrants(tx, userId, grants, registration.requestedBy)
}, 'roles granted')

/** Phase 1's step 2 (FLIP `register_user`): profile, the audit row "Registered user", no grants. */
export const recordProfile = completeWith(profileAndAudit, 'profile recorded')
