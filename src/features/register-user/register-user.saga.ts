import { isWorkable, type RegistrationKind, type RegistrationState } from '../../domain/registration-state.js'
import {
  createRegistrationsRepository,
  type InMemoryRegistration,
  type Registration,
  StaleRegistrationError,
} from '../../repositories/registrations-repository.js'
import type { SagaOptions } from '../../saga-options.js'
import type { SagaDeps, StepContext, StepResult } from './saga-context.js'
import { compensate } from './steps/compensate.js'
import { createIdentityUser } from './steps/create-identity-user.js'
import { deleteIdentityUser } from './steps/delete-identity-user.js'
import { grantAccess, recordProfile } from './steps/grant-access.js'
import { timedStep } from './transition-log.js'
import type { HeldLease } from './with-lease.js'
import { type Lease, withLease } from './with-lease.js'

type Step = (ctx: StepContext, registration: InMemoryRegistration) => Promise<StepResult>

/**
 * The durable sagas, one step per workable state, read top to bottom (the states and every
 * transition they may make: domain/registration-state.ts):
 *
 * register (POST /api/step/users)
 *   pending          → createIdentityUser  IdP write              ↩ compensate deletes the IdP user
 *   identity_created → grantAccess         profile + grants + audit + completed, one transaction
 *   compensating     → compensate          database first, then the IdP delete (NotFound = done)
 * identity (POST /api/users, phase 1 alone)
 *   pending          → createIdentityUser  IdP write              ↩ compensate
 *   identity_created → recordProfile       profile + audit + completed, one transaction
 *   compensating     → compensate
 * delete (DELETE /api/users/{id}, once its database side committed with the record)
 *   deleting         → deleteIdentityUser  IdP delete (NotFound = done), compensation's budget
 */
const sagas: Record<RegistrationKind, Partial<Record<RegistrationState, Step>>> = {
  register: {
    pending: timedStep('createIdentityUser', createIdentityUser),
    identity_created: timedStep('grantAccess', grantAccess),
    compensating: timedStep('compensate', compensate),
  },
  identity: {
    pending: timedStep('createIdentityUser', createIdentityUser),
    identity_created: timedStep('recordProfile', recordProfile),
    compensating: timedStep('compensate', compensate),
  },
  delete: {
    deleting: timedStep('deleteIdentityUser', deleteIdentityUser),
  },
}

const stepFor = (registration: Registration): Step | undefined => sagas[registration.kind][registration.state]

export type AdvanceResult = AdvanceOf<Registration> | AdvanceOf<undefined>

interface AdvanceOf<R> {
  /** Undefined only when no such registration exists (e.g. removed by hand). */
  registration: R
  /** True when the registration is still workable and should be tried again later. */
  retryLater: boolean
  /** False when another worker held the lease, so nothing was done here. */
  claimed: boolean
}

/**
 * Advances one record as far as it can go now: to a final state, to `needs_attention`, or to a
 * transient failure that must be retried later. Only the lease holder advances it, so two
 * processes (or a request and a job) never work one record at once. `held`: the lease the
 * request took with the record's insert (and its first create attempt), so the hot path claims
 * nothing.
 *
 * @throws only when the database itself fails outside a step (the job retries).
 */
export const advanceRegistration = async (
  deps: SagaDeps,
  options: SagaOptions,
  registrationId: string,
  actor: string,
  held?: HeldLease,
): Promise<AdvanceResult> => {
  const registrations = createRegistrationsRepository(deps.db)
  const work = async (claimed: Registration, lease: Lease): Promise<AdvanceResult> => {
    let registration: InMemoryRegistration = claimed
    const ctx: StepContext = {
      deps,
      options,
      actor,
      attemptRecorded: held !== undefined,
      written: lease.written,
    }
    for (let step = stepFor(registration); step !== undefined; step = stepFor(registration)) {
      // A step that left a transition unwritten is followed at once by the one that writes it;
      // a renewal between them would read the record back without it.
      if (registration.unwritten === undefined) {
        const renewed = await lease.renewIfDue(registration)
        if (!renewed) return { registration, retryLater: true, claimed: true }
        registration = renewed
      }
      try {
        const result = await step(ctx, registration)
        ctx.attemptRecorded = false
        registration = result.registration
        if (result.next === 'wait') return { registration, retryLater: true, claimed: true }
      } catch (error) {
        if (!(error instanceof StaleRegistrationError)) throw error
        // It moved under our lease: a write of ours committed although we saw it fail. Where it
        // stands now decides; the caller answers from that and the work goes on later.
        const now = await registrations.findById(registrationId)
        if (!now) return { registration: undefined, retryLater: false, claimed: true }
        return { registration: now, retryLater: isWorkable(now.state), claimed: true }
      }
    }
    return { registration, retryLater: false, claimed: true }
  }
  const leased = await withLease(deps, options.leaseSeconds, registrationId, actor, work, held)
  if (leased.claimed) return leased.value
  const registration = await registrations.findById(registrationId)
  if (!registration) return { registration: undefined, retryLater: false, claimed: false }
  return { registration, retryLater: stepFor(registration) !== undefined, claimed: false }
}
