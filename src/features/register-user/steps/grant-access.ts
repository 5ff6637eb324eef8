import type { Db } from '../../../db/database.js'
import { isForeignKeyViolation } from '../../../db/pg-errors.js'
import { profileAndAudit, roleGrants } from '../../../repositories/registration-completion-writes.js'
import type { AlongsideWrites } from '../../../repositories/registration-write-statements.js'
import type { InMemoryRegistration } from '../../../repositories/registrations-repository.js'
import { forgetKnownRoles, resolveRoleGrants } from '../../shared/resolve-role-grants.js'
import { describeFailure, isTransientFailure } from '../classify-failure.js'
import {
  continueWith,
  registrationsOf,
  type StepContext,
  type StepResult,
  waitWith,
} from '../saga-context.js'

/** The writes that complete a registration, beside its move to `completed`. */
type Completion = (db: Db, registration: InMemoryRegistration) => Promise<AlongsideWrites[]>

/**
 * Step 2 (identity_created → completed): the database writes, the state change (with the create
 * step's, when it is still unwritten) and the end of the lease are ONE statement, so they happen
 * exactly once however often this runs, and a registration completes with one commit. The user
 * id is the `sub` the create call returned: the IdP is not asked again whether the user exists
 * (Cognito's index lags behind creation; that lag is what FLIP's 404 was).
 * ↩ undone by compensation (grants, profile, audit "Deleted user").
 */
const completeWith =
  (completion: Completion, done: string) =>
  async (ctx: StepContext, registration: InMemoryRegistration): Promise<StepResult> => {
    const registrations = registrationsOf(ctx)
    const attempts = registration.attempts + 1
    try {
      const writes = await completion(ctx.deps.db, registration)
      const completed = await registrations.transition(
        registration,
        {
          from: 'identity_created',
          to: 'completed',
          actor: ctx.actor,
          reason: done,
          patch: { attempts, errorCode: null, errorDetail: null },
        },
        { alongside: writes, releaseLease: true },
      )
      return continueWith(completed)
    } catch (error) {
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
      // A role removed by hand since it was cached: the next request is told it is invalid.
      if (isForeignKeyViolation(error)) forgetKnownRoles()
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

/** The step function's step 2: profile, role grants, both audit rows and `completed`. */
export const grantAccess = completeWith(async (db, registration) => {
  // Checked again: a trust may have gone since the request (role ids are reference data, cached).
  const grants = await resolveRoleGrants(db, registration.roleIds, registration.trustId)
  return [profileAndAudit(['Registered user', 'Updated user roles']), roleGrants(grants)]
}, 'roles granted')

/** Phase 1's step 2 (FLIP `register_user`): profile, the audit row "Registered user", no grants. */
export const recordProfile = completeWith(
  async () => [profileAndAudit(['Registered user'])],
  'profile recorded',
)
