import type { Deps } from '../../container.js'
import type { Registration } from '../../repositories/registrations-repository.js'
import type { SagaOptions } from '../../saga-options.js'

export type SagaDeps = Pick<Deps, 'db' | 'idp' | 'clock' | 'log'> & Partial<Pick<Deps, 'metrics'>>

export interface StepContext {
  deps: SagaDeps
  options: SagaOptions
  /** Who is acting: the caller's id on the request path, `worker` in the background. */
  actor: string
}

/** `continue`: the registration moved on and the next step may run now. `wait`: try again later. */
export interface StepResult {
  registration: Registration
  next: 'continue' | 'wait'
}

export const continueWith = (registration: Registration): StepResult => ({ registration, next: 'continue' })
export const waitWith = (registration: Registration): StepResult => ({ registration, next: 'wait' })
