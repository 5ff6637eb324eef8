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

export type RegistrationOutcome =
  | { status: 201; body: ReturnType<typeof dto> & { user_id: string; registration_id: string } }
  | {
      status: 202
      location: string
      body: ReturnType<typeof dto> & { registration_id: string; state: string }
    }

const failure = (registration: Registration, code: ErrorCode, detail: string): AppError =>
  appError(code, detail, {
    extensions: { registrationId: registration.id, state: registration.state, retryable: false },
    headers: { Location: registrationLocation(registration.id) },
  })

/**
 * What the caller is told about a registration, now: 201 once completed, 202 while the service
 * is finishing it, FLIP's errors otherwise. Replays of an Idempotency-Key get the same answer
 * for the same state.
 *
 * @throws the registration's failure as an AppError (4xx for `failed`, FLIP's 500s for rollbacks)
 */
export const outcomeOf = (registration: Registration): RegistrationOutcome => {
  const userId = registration.userId ?? ''
  switch (registration.state) {
    case 'completed':
      // registration_id is additive: FLIP's UI ignores keys it does not know.
      return {
        status: 201,
        body: { ...dto(registration), user_id: userId, registration_id: registration.id },
      }
    case 'pending':
    case 'identity_created':
      return {
        status: 202,
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
  }
}

/** The operator's view of a registration, with its history. */
export const registrationView = (registration: Registration, events: RegistrationEvent[]) => ({
  registration_id: registration.id,
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
