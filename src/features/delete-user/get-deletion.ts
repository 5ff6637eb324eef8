import type { Deps } from '../../container.js'
import { appError } from '../../errors/error-catalogue.js'
import { createRegistrationsRepository } from '../../repositories/registrations-repository.js'
import { registrationView } from '../register-user/registration-outcome.js'

/** One user deletion with its event history (the registrations' view, kind `delete`). @throws NotFound */
export const getDeletion = async (deps: Pick<Deps, 'db'>, deletionId: string) => {
  const registrations = createRegistrationsRepository(deps.db)
  const record = await registrations.findById(deletionId)
  if (record?.kind !== 'delete') throw appError('deletion.not_found', `Deletion ${deletionId} not found`)
  return registrationView(record, await registrations.events(deletionId))
}
