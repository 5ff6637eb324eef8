import type { Deps } from '../../container.js'
import { isUuid } from '../../domain/ids.js'
import { isFinal, isWorkable } from '../../domain/registration-state.js'
import { appError } from '../../errors/error-catalogue.js'
import type { JobQueue } from '../../jobs/job-queue.js'
import {
  createRegistrationsRepository,
  type Registration,
  StaleRegistrationError,
} from '../../repositories/registrations-repository.js'
import { advanceRegistration } from '../register-user/register-user.saga.js'
import { reportTransitions } from '../register-user/transition-log.js'

/** The actor recorded on every transition an operator causes from the CLI (HTTP: the caller's id). */
export const OPERATOR = 'operator'

export type OperateRegistrationsDeps = Pick<Deps, 'db' | 'idp' | 'clock' | 'log' | 'saga'> &
  Partial<Pick<Deps, 'metrics'>> & {
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

/** @throws NotFound (`registration.not_found`), Conflict (`registration.not_workable`: final) */
export const findOperable = async (deps: Pick<Deps, 'db'>, registrationId: string, verb: string) => {
  const registration = isUuid(registrationId)
    ? await createRegistrationsRepository(deps.db).findById(registrationId)
    : undefined
  if (!registration) throw appError('registration.not_found', `No registration ${registrationId}`)
  if (isFinal(registration.state)) {
    throw appError(
      'registration.not_workable',
      `Registration ${registration.id} is already ${registration.state}; nothing to ${verb}`,
      { extensions: { registrationId: registration.id, state: registration.state } },
    )
  }
  return registration
}

export const changedMeanwhile = (registrationId: string, cause: unknown) =>
  appError(
    'registration.in_flight',
    `Registration ${registrationId} changed while this ran; look at it again (flip-users registrations show ${registrationId})`,
    { cause },
  )

/**
 * needs_attention → back to undoing (compensating; a delete: deleting) with a fresh budget: the
 * operator has presumably fixed what kept failing. Nobody else moves a record out of
 * needs_attention, so no lease is needed: the conditional transition is enough.
 */
export const reopen = async (
  deps: Pick<Deps, 'db' | 'log'> & Partial<Pick<Deps, 'metrics'>>,
  registration: Registration,
  reason: string,
  actor: string,
) => {
  const to = registration.kind === 'delete' ? 'deleting' : 'compensating'
  try {
    const event = { from: 'needs_attention', to, actor, reason } as const
    const reopened = await createRegistrationsRepository(deps.db).transition(registration, {
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
export const advanceNow = async (
  deps: OperateRegistrationsDeps,
  registrationId: string,
  actor: string,
): Promise<OperatorOutcome> => {
  const result = await advanceRegistration(deps, deps.saga, registrationId, actor)
  if (!result.registration) throw appError('registration.not_found', `No registration ${registrationId}`)
  const { jobs } = deps
  const queued = isWorkable(result.registration.state) && jobs !== undefined
  if (queued) await jobs.enqueueRegistration(registrationId, BACKGROUND_DELAY_SECONDS)
  return { registration: result.registration, advanced: result.claimed, queued }
}
