import type { Deps } from '../../container.js'
import type { RegistrationState } from '../../domain/registration-state.js'
import {
  createRegistrationsRepository,
  type Registration,
} from '../../repositories/registrations-repository.js'

/** One line of `registrations list`. */
export const registrationSummary = (registration: Registration) => ({
  registration_id: registration.id,
  kind: registration.kind,
  state: registration.state,
  email: registration.email,
  user_id: registration.userId,
  attempts: registration.attempts,
  compensation_attempts: registration.compensationAttempts,
  created_at: registration.createdAt.toISOString(),
  updated_at: registration.updatedAt.toISOString(),
})

/** Registrations (every kind: step function, phase 1, deletes), newest first, optionally in one state. */
export const listRegistrations = async (
  deps: Pick<Deps, 'db'>,
  options: { state?: RegistrationState; limit?: number },
) => (await createRegistrationsRepository(deps.db).list(options)).map(registrationSummary)
