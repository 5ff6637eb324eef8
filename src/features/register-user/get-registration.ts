import type { Deps } from '../../container.js'
import { appError } from '../../errors/error-catalogue.js'
import { createRegistrationsRepository } from '../../repositories/registrations-repository.js'
import { registrationView } from './registration-outcome.js'

/** One registration with its event history. @throws NotFound */
export const getRegistration = async (deps: Pick<Deps, 'db'>, registrationId: string) => {
  const registrations = createRegistrationsRepository(deps.db)
  const registration = await registrations.findById(registrationId)
  if (!registration) throw appError('registration.not_found', `Registration ${registrationId} not found`)
  return registrationView(registration, await registrations.events(registrationId))
}
