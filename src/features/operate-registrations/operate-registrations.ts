import type { Deps } from '../../container.js'
import { isUuid } from '../../domain/ids.js'
import { isFinal, isWorkable, type RegistrationState } from '../../domain/registration-state.js'
import { appError } from '../../errors/error-catalogue.js'
import { isIdentityError } from '../../identity/identity-errors.js'
import type { IdentityUser } from '../../identity/identity-provider.js'
import type { JobQueue } from '../../jobs/job-queue.js'
import {
  createRegistrationsRepository,
  type Registration,
  type RegistrationPatch,
  StaleRegistrationError,
} from '../../repositories/registrations-repository.js'
import { advanceRegistration } from '../register-user/register-user.saga.js'
import { isOurs } from '../register-user/steps/create-identity-user.js'
import { reportTransitions, reportWorkUnderLease } from '../register-user/transition-log.js'
import { toAppError } from '../shared/identity-failures.js'
import { leaseOwnerId } from './lease-holder.js'

/** The actor recorded on every transition an operator causes from the CLI (HTTP: the caller's id). */
export const OPERATOR = 'operator'

export type OperateRegistrationsDeps = Pick<Deps, 'db' | 'idp' | 'clock' | 'log' | 'saga'> & {
  /** When present, a registration left workable is queued for the background workers at once. */
  jobs: Pick<JobQueue, 'enqueueRegistration'> | undefined
}

export interface OperatorOutcome {
  /** The registration as the operator's action left it. */
  registration: Registration
  /** False when another process held the lease, so that process (not this call) advanced it. */
  advanced: boolean
  /** True when a job was queued; a workable registration that is not queued waits for the sweep. */
  queued: boolean
}

// The first background attempt comes a little later, so a failing compensation's budget is spent
// over real backoff rather than in one burst.
const BACKGROUND_DELAY_SECONDS = 2

/** One line of `registrations list`. */
export const registrationSummary = (registration: Registration) => ({
  registration_id: registration.id,
  state: registration.state,
  email: registration.email,
  user_id: registration.userId,
  attempts: registration.attempts,
  compensation_attempts: registration.compensationAttempts,
  created_at: registration.createdAt.toISOString(),
  updated_at: registration.updatedAt.toISOString(),
})

/** Registrations, newest first, optionally in one state. */
export const listRegistrations = async (
  deps: Pick<Deps, 'db'>,
  options: { state?: RegistrationState; limit?: number },
) => (await createRegistrationsRepository(deps.db).list(options)).map(registrationSummary)

/** @throws NotFound (`registration.not_found`), Conflict (`registration.not_workable`: final) */
const findOperable = async (deps: Pick<Deps, 'db'>, registrationId: string, verb: string) => {
  const registration = isUuid(registrationId)
    ? await createRegistrationsRepository(deps.db).findById(registrationId)
    : undefined
  if (!registration) throw appError('registration.not_found', `No registration ${registrationId}`)
  refuseFinal(registration, verb)
  return registration
}

const refuseFinal = (registration: Registration, verb: string) => {
  if (isFinal(registration.state)) {
    throw appError(
      'registration.not_workable',
      `Registration ${registration.id} is already ${registration.state}; nothing to ${verb}`,
      { extensions: { registrationId: registration.id, state: registration.state } },
    )
  }
}

const changedMeanwhile = (registrationId: string, cause: unknown) =>
  appError(
    'registration.in_flight',
    `Registration ${registrationId} changed while this ran; look at it again (flip-users registrations show ${registrationId})`,
    { cause },
  )

/**
 * needs_attention → compensating with a fresh compensation budget. Nobody else moves a
 * registration out of needs_attention, so no lease is needed: the conditional transition is enough.
 */
const reopenCompensation = async (
  deps: Pick<Deps, 'db' | 'log'> & Partial<Pick<Deps, 'metrics'>>,
  registration: Registration,
  reason: string,
  actor: string,
) => {
  try {
    const event = { from: 'needs_attention', to: 'compensating', actor, reason } as const
    const reopened = await createRegistrationsRepository(deps.db).transition(registration.id, {
      ...event,
      patch: { compensationAttempts: 0 },
    })
    // Made before the advance claims a lease, so the advance's own report does not see it.
    reportTransitions(deps, reopened, [
      { registrationId: registration.id, fromState: event.from, toState: event.to, actor, reason },
    ])
  } catch (error) {
    if (error instanceof StaleRegistrationError) throw changedMeanwhile(registration.id, error)
    throw error
  }
}

/** Advances the registration once, now, as the operator; whatever is left is queued. */
const advanceNow = async (
  deps: OperateRegistrationsDeps,
  registrationId: string,
  actor: string,
): Promise<OperatorOutcome> => {
  const result = await advanceRegistration(deps, deps.saga, registrationId, actor)
  if (!result.registration) throw appError('registration.not_found', `No registration ${registrationId}`)
  const queued = isWorkable(result.registration.state) && deps.jobs !== undefined
  if (queued) await deps.jobs!.enqueueRegistration(registrationId, BACKGROUND_DELAY_SECONDS)
  return { registration: result.registration, advanced: result.claimed, queued }
}

/**
 * `flip-users registrations retry ID`: work a registration now instead of waiting for its next
 * background attempt. A `needs_attention` registration goes back to `compensating` with its
 * compensation budget reset (the operator has presumably fixed what kept failing). What is still
 * workable afterwards is queued for the background workers.
 *
 * @throws NotFound (`registration.not_found`), Conflict (`registration.not_workable` for a final
 *   state; `registration.in_flight` if it changed meanwhile), and database failures outside a step
 */
export const retryRegistration = async (
  deps: OperateRegistrationsDeps,
  registrationId: string,
  actor: string = OPERATOR,
): Promise<OperatorOutcome> => {
  const registration = await findOperable(deps, registrationId, 'retry')
  if (registration.state === 'needs_attention')
    await reopenCompensation(deps, registration, 'retry requested by an operator', actor)
  return advanceNow(deps, registrationId, actor)
}

/**
 * Adoption, never theft (as in createIdentityUser): the IdP user is ours only if it appeared
 * after the registration began and nobody has granted it anything.
 * @returns undefined when the IdP has no such user or it is not ours
 */
const userOurCreateMade = async (
  deps: OperateRegistrationsDeps,
  registration: Registration,
): Promise<IdentityUser | undefined> => {
  let existing: IdentityUser
  try {
    existing = await deps.idp.getUserByEmail(registration.email)
  } catch (error) {
    if (isIdentityError(error, 'NotFound') || isIdentityError(error, 'InvalidInput')) return undefined
    // Nothing has been changed yet: the operator tries again once the IdP answers.
    throw toAppError(error, () =>
      appError('idp.failed', 'The identity provider could not be asked about the user; nothing changed', {
        cause: error,
      }),
    )
  }
  return (await isOurs(deps.db, registration, existing)) ? existing : undefined
}

/**
 * How long after a pending registration's last change (at the latest, the start of its last
 * create attempt) an operator may abandon it: past the IdP client's timeouts, so a create sent then has landed or
 * never will, and the email lookup that decides between adopt-and-delete and fail can be trusted.
 */
export const ABANDON_SETTLE_SECONDS = 60

/** The operator's decision for a registration whose lease this process holds. */
const abandonClaimed = async (deps: OperateRegistrationsDeps, registration: Registration, actor: string) => {
  const registrations = createRegistrationsRepository(deps.db)
  const reason = 'abandoned by an operator'
  const compensateWith = (patch: RegistrationPatch, why = reason) =>
    registrations.transition(registration.id, {
      from: registration.state,
      to: 'compensating',
      actor,
      reason: why,
      patch: { ...patch, compensationAttempts: 0, failureDetail: reason },
    })
  const fail = (errorCode: string, errorDetail: string, why = reason) =>
    registrations.transition(registration.id, {
      from: 'pending',
      to: 'failed',
      actor,
      reason: why,
      patch: { errorCode, errorDetail },
    })

  if (registration.state === 'identity_created') return compensateWith({})
  if (registration.state !== 'pending') return registration
  // Never attempted: the IdP was not asked, so nothing can exist there.
  if (registration.createAttemptedAt === null)
    return fail('registration.failed', 'Registration abandoned by an operator')
  // Attempted with no answer (a timeout, an outage): the create may have taken effect — or may
  // yet: a request the client gave up on can still reach the IdP, and an index can lag a create.
  // Until the last attempt has settled, "no such user" proves nothing, so the operator waits.
  const waitSeconds = ABANDON_SETTLE_SECONDS - (await registrations.secondsSinceChange(registration.id))
  if (waitSeconds > 0) {
    const seconds = Math.ceil(waitSeconds)
    throw appError(
      'registration.settling',
      `Registration ${registration.id} tried to create its identity-provider user less than ${ABANDON_SETTLE_SECONDS} seconds ago and that user may still appear; try again in ${seconds} s`,
      {
        extensions: {
          registrationId: registration.id,
          state: registration.state,
          retryAfterSeconds: seconds,
        },
        // Over HTTP, the same wait as a Retry-After header.
        retryAfterSeconds: seconds,
      },
    )
  }
  const user = await userOurCreateMade(deps, registration)
  if (user) {
    return compensateWith(
      { userId: user.id, username: user.username },
      `${reason}: removing the identity-provider user an earlier create made`,
    )
  }
  return fail('registration.failed', 'Registration abandoned by an operator')
}

/**
 * `flip-users registrations abandon ID` ("compensate now"): give up on a registration and undo
 * whatever it created. `pending` becomes `failed` when nothing exists at the IdP (after looking
 * the email up if a create was attempted, and adopting the user an ambiguous create made);
 * `identity_created` and `needs_attention` go to `compensating` (with a fresh budget), which then
 * runs at once. Pending and identity_created registrations are changed only under their lease,
 * so a worker is never mid-step on them.
 *
 * @throws NotFound (`registration.not_found`), Conflict (`registration.not_workable` for a final
 *   state; `registration.in_flight` when another process holds it right now;
 *   `registration.settling` when its last create attempt is under a minute old), Throttled /
 *   Transient / Ambiguous / Internal (the IdP lookup failed; nothing was changed), and database
 *   failures outside a step
 */
export const abandonRegistration = async (
  deps: OperateRegistrationsDeps,
  registrationId: string,
  actor: string = OPERATOR,
): Promise<OperatorOutcome> => {
  const registration = await findOperable(deps, registrationId, 'abandon')
  if (registration.state === 'needs_attention') {
    await reopenCompensation(deps, registration, 'abandoned by an operator', actor)
  } else if (registration.state !== 'compensating') {
    const registrations = createRegistrationsRepository(deps.db)
    const owner = leaseOwnerId(actor)
    const claimed = await registrations.claim(registrationId, owner, deps.saga.leaseSeconds)
    if (!claimed) {
      const now = await findOperable(deps, registrationId, 'abandon')
      throw appError(
        'registration.in_flight',
        `Registration ${registrationId} is being worked on by another process right now; try again in a moment`,
        { extensions: { registrationId, state: now.state } },
      )
    }
    try {
      const moved = await abandonClaimed(deps, claimed, actor)
      if (!isWorkable(moved.state)) return { registration: moved, advanced: true, queued: false }
    } finally {
      await registrations.release(registrationId, owner)
      // The operator's own transitions (to failed, or to compensating) get their log lines too.
      await reportWorkUnderLease(deps, claimed, deps.saga.leaseSeconds)
    }
  }
  return advanceNow(deps, registrationId, actor)
}
