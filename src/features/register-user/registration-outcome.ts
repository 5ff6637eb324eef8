import type { AppError } from '../../errors/app-error.js'
import { appError, type ErrorCode, isErrorCode } from '../../errors/error-catalogue.js'
import type { Registration, RegistrationEvent } from '../../repositories/registrations-repository.js'

export const registrationLocation = (id: string) => `/api/step/users/${id}`

const dto = (registration: Registration) => ({
  user_id: registration.userId,
  email: registration.email,
  name: registration.name,
  organisation: registration.organisation,
  roles: registration.roleIds,
  trust_id: registration.trustId,
})

/**
 * Where a registration stands for its caller, in the domain's words: `completed`, or `accepted`
 * (durable, being finished in the background, followed at `location`). Failures are thrown as
 * AppErrors. Only routes turn an outcome into a status (201, 202).
 */
export type RegistrationOutcome =
  | { outcome: 'completed'; body: ReturnType<typeof dto> & { user_id: string; registration_id: string } }
  | {
      outcome: 'accepted'
      location: string
      body: ReturnType<typeof dto> & { registration_id: string; state: string }
    }

const failure = (registration: Registration, code: ErrorCode, detail: string): AppError =>
  appError(code, detail, {
    extensions: { registrationId: registration.id, state: registration.state, retryable: false },
    headers: { Location: registrationLocation(registration.id) },
  })

/**
 * What the caller is told about a registration, now: completed, accepted while the service is
 * finishing it, FLIP's errors otherwise. Replays of an Idempotency-Key get the same answer
 * for the same state.
 *
 * @throws the registration's failure as an AppError: its recorded kind for `failed` (BadRequest,
 *   Conflict, …), Internal (FLIP's rollback details) otherwise
 */
export const outcomeOf = (registration: Registration): RegistrationOutcome => {
  const userId = registration.userId ?? ''
  switch (registration.state) {
    case 'completed':
      // registration_id is additive: FLIP's UI ignores keys it does not know.
      return {
        outcome: 'completed',
        body: { ...dto(registration), user_id: userId, registration_id: registration.id },
      }
    case 'pending':
    case 'identity_created':
      return {
        outcome: 'accepted',
        location: registrationLocation(registration.id),
        body: { ...dto(registration), registration_id: registration.id, state: registration.state },
      }
    case 'failed': {
      const code = registration.errorCode ?? 'registration.failed'
      throw failure(
        registration,
        isErrorCode(code) ? code : 'registration.failed',
        registration.errorDetail ?? 'Failed to register user',
      )
    }
    case 'rolled_back':
      throw failure(
        registration,
        'registration.rolled_back',
        `Failed to set user roles for user ${userId}. User has been deleted.`,
      )
    case 'compensating':
    case 'needs_attention':
      throw failure(
        registration,
        'registration.rollback_failed',
        `Failed to set user roles for user ${userId}; rollback also failed (${registration.errorDetail ?? 'unknown'}). Manual cleanup required.`,
      )
    case 'deleting':
    case 'deleted':
      // A delete's states: the step function never answers from a delete record.
      throw new Error(`registration ${registration.id} is a ${registration.kind} record`)
  }
}

/** The operator's view of a registration, with its history. */
export const registrationView = (registration: Registration, events: RegistrationEvent[]) => ({
  registration_id: registration.id,
  kind: registration.kind,
  state: registration.state,
  ...dto(registration),
  attempts: registration.attempts,
  compensation_attempts: registration.compensationAttempts,
  last_error: registration.errorDetail,
  requested_by: registration.requestedBy,
  created_at: registration.createdAt.toISOString(),
  updated_at: registration.updatedAt.toISOString(),
  events: events.map((event) => ({
    at: event.at.toISOString(),
    from: event.fromState,
    to: event.toState,
    actor: event.actor,
    reason: event.reason,
  })),
})
