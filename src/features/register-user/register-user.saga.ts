import { isWorkable, type RegistrationState } from '../../domain/registration-state.js'
import {
  createRegistrationsRepository,
  type Registration,
  StaleRegistrationError,
} from '../../repositories/registrations-repository.js'
import { leaseOwnerId } from '../operate-registrations/lease-holder.js'
import type { SagaDeps, SagaOptions, StepContext, StepResult } from './saga-context.js'
import { compensate } from './steps/compensate.js'
import { createIdentityUser } from './steps/create-identity-user.js'
import { grantAccess } from './steps/grant-access.js'
import { reportWorkUnderLease, timedStep } from './transition-log.js'

/**
 * The register-user saga, one step per workable state, read top to bottom:
 *
 *   pending          → createIdentityUser  IdP write              ↩ compensate deletes the IdP user
 *   identity_created → grantAccess         profile + grants + audit + completed, one transaction
 *   compensating     → compensate         database first, then the IdP delete (NotFound = done)
 */
const steps: Partial<
  Record<RegistrationState, (ctx: StepContext, registration: Registration) => Promise<StepResult>>
> = {
  pending: timedStep(createIdentityUser),
  identity_created: timedStep(grantAccess),
  compensating: timedStep(compensate),
}

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
 * Advances one registration as far as it can go now: to a final state, to `needs_attention`, or
 * to a transient failure that must be retried later. Only the lease holder advances it, so two
 * processes (or a request and a job) never work one registration at once.
 *
 * @throws only when the database itself fails outside a step (the job retries).
 */
export const advanceRegistration = async (
  deps: SagaDeps,
  options: SagaOptions,
  registrationId: string,
  actor: string,
): Promise<AdvanceResult> => {
  const registrations = createRegistrationsRepository(deps.db)
  const owner = leaseOwnerId(actor)
  const claimed = await registrations.claim(registrationId, owner, options.leaseSeconds)
  if (!claimed) {
    const registration = await registrations.findById(registrationId)
    if (!registration) return { registration: undefined, retryLater: false, claimed: false }
    return { registration, retryLater: steps[registration.state] !== undefined, claimed: false }
  }
  try {
    let registration = claimed
    const ctx: StepContext = { deps, options, actor }
    let leaseTakenAt = deps.clock.now().getTime()
    for (let step = steps[registration.state]; step !== undefined; step = steps[registration.state]) {
      // One claim would otherwise cover the whole advance, paced IdP waits included, and once it
      // lapsed the lapsed-lease sweep would start a second worker beside this one. Renewing once a
      // third of the lease has gone keeps the hot path at one claim while steps are quick.
      if (deps.clock.now().getTime() - leaseTakenAt > (options.leaseSeconds * 1000) / 3) {
        const renewed = await registrations.claim(registrationId, owner, options.leaseSeconds)
        if (!renewed) return { registration, retryLater: true, claimed: true }
        registration = renewed
        leaseTakenAt = deps.clock.now().getTime()
      }
      let result: StepResult
      try {
        result = await step(ctx, registration)
      } catch (error) {
        if (!(error instanceof StaleRegistrationError)) throw error
        // It moved under our lease: a write of ours committed although we saw it fail. Where it
        // stands now decides; the caller answers from that and the work goes on later.
        const now = await registrations.findById(registrationId)
        if (!now) return { registration: undefined, retryLater: false, claimed: true }
        return { registration: now, retryLater: isWorkable(now.state), claimed: true }
      }
      registration = result.registration
      if (result.next === 'wait') return { registration, retryLater: true, claimed: true }
    }
    return { registration, retryLater: false, claimed: true }
  } finally {
    // One log line per transition this work made, in the caller's log (its requestId, if any),
    // read while the lease still keeps other writers out, so no other worker's events are
    // reported (and counted) as this work's.
    await reportWorkUnderLease(deps, claimed, options.leaseSeconds)
    await registrations.release(registrationId, owner)
  }
}
