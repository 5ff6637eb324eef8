import type { Deps } from '../../container.js'
import {
  createRegistrationsRepository,
  type InMemoryRegistration,
  type WrittenEventsSink,
} from '../../repositories/registrations-repository.js'
import type { SagaOptions } from '../../saga-options.js'

export type SagaDeps = Pick<Deps, 'db' | 'idp' | 'clock' | 'log'> & Partial<Pick<Deps, 'metrics'>>

export interface StepContext {
  deps: SagaDeps
  options: SagaOptions
  /** Who is acting: the caller's id on the request path, `worker` in the background. */
  actor: string
  /**
   * The record's first create attempt was written with its insert, by this request, and nothing
   * has happened since: the create step need not record it again (one commit less).
   */
  attemptRecorded?: boolean
  /** The lease's record of what the steps write (see recordWrittenEvents). */
  written?: WrittenEventsSink
}

/** The registrations repository a step writes through: on the pool, telling the lease. */
export const registrationsOf = (ctx: StepContext) => createRegistrationsRepository(ctx.deps.db, ctx.written)

/** `continue`: the registration moved on and the next step may run now. `wait`: try again later. */
export interface StepResult {
  /** May carry a transition not yet written (see InMemoryRegistration); the next write writes it. */
  registration: InMemoryRegistration
  next: 'continue' | 'wait'
}

export const continueWith = (registration: InMemoryRegistration): StepResult => ({
  registration,
  next: 'continue',
})
export const waitWith = (registration: InMemoryRegistration): StepResult => ({ registration, next: 'wait' })
