import { setTimeout as sleep } from 'node:timers/promises'
import type { Deps } from '../../container.js'
import { isTransientDbError, isUniqueViolation } from '../../db/pg-errors.js'
import { isWorkable } from '../../domain/registration-state.js'
import type { AppError } from '../../errors/app-error.js'
import { appError } from '../../errors/error-catalogue.js'
import { describeFailure, toAppError } from '../../identity/identity-error-bridge.js'
import type { JobQueue } from '../../jobs/job-queue.js'
import {
  ACTIVE_EMAIL_CONSTRAINT,
  createRegistrationsRepository,
  type NewRegistration,
  type Registration,
} from '../../repositories/registrations-repository.js'
import type { SagaOptions } from '../../saga-options.js'
import { leaseOwnerId } from '../operate-registrations/lease-holder.js'
import { isTransientFailure } from './classify-failure.js'
import { recordLocation } from './record-location.js'
import { advanceRegistration } from './register-user.saga.js'
import type { HeldLease } from './with-lease.js'

/** What recording and driving a durable record inline needs. */
export type RecordDeps = Pick<Deps, 'db' | 'idp' | 'clock' | 'log'> &
  Partial<Pick<Deps, 'metrics'>> & {
    jobs: Pick<JobQueue, 'enqueueRegistration'>
    saga: SagaOptions
  }

// Inline retries stay well under a second in total; anything slower is finished by a job.
const INLINE_RETRY_DELAYS_MS = [100, 250]
const FIRST_BACKGROUND_DELAY_SECONDS = 1

/**
 * The insert, retried like a step on a transient database failure (a serialization failure,
 * a lost connection): nothing was written, since the row and its first event are one statement.
 */
export const insertRetrying = async (
  deps: Pick<Deps, 'log'>,
  insert: () => Promise<Registration>,
): Promise<Registration> => {
  for (let attempt = 0; ; attempt++) {
    try {
      return await insert()
    } catch (error) {
      if (!isTransientDbError(error) || attempt >= INLINE_RETRY_DELAYS_MS.length) throw error
      deps.log.warn({ err: error }, 'recording the registration failed transiently; retrying')
      await sleep(INLINE_RETRY_DELAYS_MS[attempt])
    }
  }
}

/**
 * The answer when recording failed: another record holds the email (409 with a `Location` to
 * it), or the database is unavailable (503). Anything else is not this function's to name.
 */
export const recordingFailure = async (
  deps: Pick<Deps, 'db'>,
  error: unknown,
  email: { shown: string; normalised: string },
): Promise<AppError | undefined> => {
  if (isUniqueViolation(error, ACTIVE_EMAIL_CONSTRAINT)) {
    const inFlight = await createRegistrationsRepository(deps.db).findActiveByEmail(email.normalised)
    return appError('registration.in_flight', `A registration for ${email.shown} is already in progress`, {
      ...(inFlight
        ? {
            extensions: { registrationId: inFlight.id, state: inFlight.state, retryable: true },
            headers: { Location: recordLocation(inFlight) },
          }
        : {}),
    })
  }
  if (isTransientDbError(error)) {
    return appError('database.unavailable', 'The database is temporarily unavailable; try again', {
      cause: error,
    })
  }
  return undefined
}

/**
 * Records the intent holding its lease and its first create attempt, in the insert's one
 * statement (retried on a transient failure, like a step): the request then works it without a
 * claim or a note of its own. The lease's report logs the first transition (∅ → pending).
 */
export const recordToAdvance = async (
  deps: RecordDeps,
  row: Omit<NewRegistration, 'createAttemptedAt'>,
  actor: string,
  reason: string,
): Promise<HeldLease> => {
  const owner = leaseOwnerId(actor)
  const registration: Registration = await insertRetrying(deps, () =>
    createRegistrationsRepository(deps.db).insert(
      { ...row, createAttemptedAt: deps.clock.now() },
      actor,
      reason,
      { owner, seconds: deps.saga.leaseSeconds },
    ),
  )
  return { registration, owner, events: [{ from: null, to: registration.state, actor, reason }] }
}

/** The record's first transition (∅ → its first state), as the saga logs every later one. */
export const logRecorded = (deps: Pick<Deps, 'log'>, record: Registration, actor: string, reason: string) =>
  deps.log.info(
    { registrationId: record.id, from: null, to: record.state, actor, reason, attempt: 0 },
    'registration transition',
  )

/**
 * Runs the saga on the request path with bounded retries; whatever is still transient is
 * handed to a background job. A database failure outside a step is treated the same way: the
 * record is durable, so the job (or the sweep) finishes it.
 */
export const advanceInline = async (
  deps: RecordDeps,
  registration: Registration,
  actor: string,
  held?: HeldLease,
) => {
  let current = registration
  let unrecorded: unknown
  for (let attempt = 0; attempt <= INLINE_RETRY_DELAYS_MS.length; attempt++) {
    if (attempt > 0) await sleep(INLINE_RETRY_DELAYS_MS[attempt - 1])
    try {
      // Only the first attempt holds the insert's lease: every attempt releases what it held.
      const result = await advanceRegistration(
        deps,
        deps.saga,
        current.id,
        actor,
        attempt === 0 ? held : undefined,
      )
      current = result.registration ?? current
      unrecorded = undefined
      // Undoing (compensation, a delete's IdP half) is retried in the background only: its
      // budget counts real backoff.
      if (!result.retryLater || current.state === 'compensating' || current.state === 'deleting') break
    } catch (error) {
      if (!isTransientFailure(error)) throw error
      deps.log.warn({ err: error, registrationId: current.id }, 'registration step failed transiently')
      unrecorded = error
    }
  }
  if (!isWorkable(current.state)) return current
  await deps.jobs.enqueueRegistration(current.id, FIRST_BACKGROUND_DELAY_SECONDS)
  // The database failed writing what the step did, so the record could not say why it is still
  // working; the answer names that failure (the job's next note records its own), not a guess.
  if (unrecorded === undefined || current.errorCode !== null) return current
  return { ...current, errorCode: toAppError(unrecorded).code, errorDetail: describeFailure(unrecorded) }
}
