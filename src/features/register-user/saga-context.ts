import type { Deps } from '../../container.js'
import type { Registration } from '../../repositories/registrations-repository.js'

export type SagaDeps = Pick<Deps, 'db' | 'idp' | 'clock' | 'log'> & Partial<Pick<Deps, 'metrics'>>

export interface SagaOptions {
  /** Compensation attempts before a registration is handed to a person (`needs_attention`). */
  compensationBudget: number
  /**
   * How long a worker's claim on a registration lasts. The saga renews it between steps once a
   * third of it has gone, so it must outlast any single step (IdP calls are bounded by their
   * timeouts, pacing waits included); a crashed worker's registrations wait this long.
   */
  leaseSeconds: number
  /**
   * How often each process looks for registrations whose lease lapsed without a release (a
   * worker that died): after a crash, another process picks the work up within about
   * `leaseSeconds + sweepSeconds` (plus one job poll).
   */
  sweepSeconds: number
}

export const defaultSagaOptions: SagaOptions = { compensationBudget: 8, leaseSeconds: 60, sweepSeconds: 10 }

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
