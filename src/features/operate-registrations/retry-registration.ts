import {
  advanceNow,
  findOperable,
  OPERATOR,
  type OperateRegistrationsDeps,
  type OperatorOutcome,
  reopen,
} from './operator-actions.js'

/**
 * `flip-users registrations retry ID` (and `POST /api/step/users/{id}/retry`): work a record now
 * instead of waiting for its next background attempt. A `needs_attention` one goes back to
 * undoing (compensating, or deleting for a delete) with its budget reset. What is still workable
 * afterwards is queued for the background workers.
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
    await reopen(deps, registration, 'retry requested by an operator', actor)
  return advanceNow(deps, registrationId, actor)
}
