import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Caller } from '../../auth/token-verifier.js'
import type { Deps } from '../../container.js'
import { isTransientDbError, isUniqueViolation } from '../../db/pg-errors.js'
import { normaliseEmail } from '../../domain/email.js'
import { isWorkable } from '../../domain/registration-state.js'
import { appError } from '../../errors/error-catalogue.js'
import type { JobQueue } from '../../jobs/job-queue.js'
import {
  ACTIVE_EMAIL_CONSTRAINT,
  createRegistrationsRepository,
  type Registration,
} from '../../repositories/registrations-repository.js'
import { resolveRoleGrants } from '../shared/resolve-role-grants.js'
import { isTransientFailure } from './classify-failure.js'
import { advanceRegistration } from './register-user.saga.js'
import { outcomeOf, type RegistrationOutcome, registrationLocation } from './registration-outcome.js'
import type { SagaOptions } from './saga-context.js'

export interface RegisterUserInput {
  email: string
  name: string
  organisation: string
  roles: string[]
  trustId: string | null
}

export type RegisterUserDeps = Pick<Deps, 'db' | 'idp' | 'clock' | 'log'> & {
  jobs: Pick<JobQueue, 'enqueueRegistration'>
  saga: SagaOptions
}

// Inline retries stay well under a second in total; anything slower is finished by a job.
const INLINE_RETRY_DELAYS_MS = [100, 250]
const FIRST_BACKGROUND_DELAY_SECONDS = 1

const hashOf = (input: RegisterUserInput): string =>
  createHash('sha256')
    .update(JSON.stringify([input.email, input.name, input.organisation, input.roles, input.trustId]))
    .digest('hex')

/**
 * Runs the saga on the request path with bounded retries; whatever is still transient is
 * handed to a background job. A database failure outside a step is treated the same way: the
 * registration is durable, so the job (or the sweep) finishes it.
 */
const advanceInline = async (deps: RegisterUserDeps, registration: Registration, actor: string) => {
  let current = registration
  for (let attempt = 0; attempt <= INLINE_RETRY_DELAYS_MS.length; attempt++) {
    if (attempt > 0) await sleep(INLINE_RETRY_DELAYS_MS[attempt - 1])
    try {
      const result = await advanceRegistration(deps, deps.saga, current.id, actor)
      current = result.registration ?? current
      // Compensation is retried in the background only: its budget counts real backoff.
      if (!result.retryLater || current.state === 'compensating') break
    } catch (error) {
      if (!isTransientFailure(error)) throw error
      deps.log.warn({ err: error, registrationId: current.id }, 'registration step failed transiently')
    }
  }
  if (isWorkable(current.state))
    await deps.jobs.enqueueRegistration(current.id, FIRST_BACKGROUND_DELAY_SECONDS)
  return current
}

/**
 * The insert, retried like a step on a transient database failure (a serialization failure,
 * a lost connection): nothing was written, since the row and its first event are one statement.
 */
const insertRetrying = async (
  deps: RegisterUserDeps,
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

const replay = (registration: Registration, requestHash: string): RegistrationOutcome => {
  if (registration.requestHash !== requestHash) {
    throw appError(
      'registration.idempotency_mismatch',
      'This Idempotency-Key was already used with a different request body.',
      { extensions: { registrationId: registration.id } },
    )
  }
  return outcomeOf(registration)
}

/**
 * The register-user step function (SPEC §4). Validates roles before anything is written, records
 * the registration as `pending` before the IdP is called, then drives the saga.
 *
 * @throws BadRequest (invalid roles, Trust Admin rules, invalid email), NotFound (trust),
 *   Conflict (email registered or in flight), Unprocessable (Idempotency-Key reused with another
 *   body), Internal (FLIP's "User has been deleted" / "rollback also failed" / "Failed to register user")
 */
export const registerUser = async (
  deps: RegisterUserDeps,
  input: RegisterUserInput,
  caller: Caller,
  idempotencyKey: string | undefined,
): Promise<RegistrationOutcome> => {
  const registrations = createRegistrationsRepository(deps.db)
  const requestHash = hashOf(input)
  if (idempotencyKey !== undefined) {
    const earlier = await registrations.findByIdempotencyKey(caller.id, idempotencyKey)
    if (earlier) return replay(earlier, requestHash)
  }
  await resolveRoleGrants(deps.db, input.roles, input.trustId)

  let registration: Registration
  try {
    registration = await insertRetrying(deps, () =>
      registrations.insert(
        {
          email: input.email.trim(),
          emailNormalised: normaliseEmail(input.email),
          name: input.name,
          organisation: input.organisation,
          roleIds: input.roles,
          trustId: input.trustId,
          requestedBy: caller.id,
          idempotencyKey: idempotencyKey ?? null,
          requestHash,
        },
        caller.id,
      ),
    )
  } catch (error) {
    if (idempotencyKey !== undefined && isUniqueViolation(error)) {
      // A concurrent request with the same key won the insert: answer as its replay. Which
      // unique index PostgreSQL names is not the key's to decide (it checks the active-email
      // index first, and the winner holds that too), so the key is looked up whichever fired.
      // The violation is raised only once the winner has committed, so this read sees it.
      const winner = await registrations.findByIdempotencyKey(caller.id, idempotencyKey)
      if (winner) return replay(winner, requestHash)
    }
    if (isUniqueViolation(error, ACTIVE_EMAIL_CONSTRAINT)) {
      const inFlight = await registrations.findActiveByEmail(normaliseEmail(input.email))
      throw appError(
        'registration.in_flight',
        `A registration for ${input.email.trim()} is already in progress`,
        {
          ...(inFlight
            ? {
                extensions: { registrationId: inFlight.id, state: inFlight.state, retryable: true },
                headers: { Location: registrationLocation(inFlight.id) },
              }
            : {}),
        },
      )
    }
    if (isTransientDbError(error)) {
      throw appError('database.unavailable', 'The database is temporarily unavailable; try again', {
        cause: error,
      })
    }
    throw error
  }
  // The registration's first transition (∅ → pending), as the saga logs every later one.
  deps.log.info(
    {
      registrationId: registration.id,
      from: null,
      to: 'pending',
      actor: caller.id,
      reason: 'registration requested',
      attempt: 0,
    },
    'registration transition',
  )
  return outcomeOf(await advanceInline(deps, registration, caller.id))
}
