import { setTimeout as sleep } from 'node:timers/promises'
import type { Deps } from '../../container.js'
import { isTransientDbError, isUniqueViolation } from '../../db/pg-errors.js'
import { isWorkable } from '../../domain/registration-state.js'
import type { AppError } from '../../errors/app-error.js'
import { appError } from '../../errors/error-catalogue.js'
import type { JobQueue } from '../../jobs/job-queue.js'
import {
  ACTIVE_EMAIL_CONSTRAINT,
  createRegistrationsRepository,
  type Registration,
} from '../../repositories/registrations-repository.js'
import type { SagaOptions } from '../../saga-options.js'
import { isTransientFailure } from './classify-failure.js'
import { recordLocation } from './record-location.js'
import { advanceRegistration } from './register-user.saga.js'

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
export const advanceInline = async (deps: RecordDeps, registration: Registration, actor: string) => {
  let current = registration
  for (let attempt = 0; attempt <= INLINE_RETRY_DELAYS_MS.length; attempt++) {
    if (attempt > 0) await sleep(INLINE_RETRY_DELAYS_MS[attempt - 1])
    try {
      const result = await advanceRegistration(deps, deps.saga, current.id, actor)
      current = result.registration ?? current
      // Undoing (compensation, a delete's IdP half) is retried in the background only: its
      // budget counts real backoff.
      if (!result.retryLater || current.state === 'compensating' || current.state === 'deleting') break
    } catch (error) {
      if (!isTransientFailure(error)) throw error
      deps.log.warn({ err: error, registrationId: current.id }, 'registration step failed transiently')
    }
  }
  if (isWorkable(current.state))
    await deps.jobs.enqueueRegistration(current.id, FIRST_BACKGROUND_DELAY_SECONDS)
  return current
}
