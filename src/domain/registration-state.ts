/**
 * The register-user saga's states (SPEC §4; diagram in docs/registration-saga.md).
 *
 *   pending ─create─▶ identity_created ─grant─▶ completed
 *      │                    │
 *      └─definitive─▶ failed └─definitive─▶ compensating ─▶ rolled_back
 *                                                 └─budget spent─▶ needs_attention
 */
export type RegistrationState =
  | 'pending'
  | 'identity_created'
  | 'completed'
  | 'compensating'
  | 'rolled_back'
  | 'failed'
  | 'needs_attention'

export const registrationStates: readonly RegistrationState[] = [
  'pending',
  'identity_created',
  'completed',
  'compensating',
  'rolled_back',
  'failed',
  'needs_attention',
]

/** States the service itself still has work in; each is picked up by a job or the recovery sweep. */
export const workableStates: readonly RegistrationState[] = ['pending', 'identity_created', 'compensating']

/** No further transition happens without a person. */
export const finalStates: readonly RegistrationState[] = ['completed', 'rolled_back', 'failed']

export const isFinal = (state: RegistrationState): boolean => finalStates.includes(state)
export const isWorkable = (state: RegistrationState): boolean => workableStates.includes(state)
