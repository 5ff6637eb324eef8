import type { Deps } from '../../container.js'
import type { RegistrationKind, RegistrationState } from '../../domain/registration-state.js'
import { createRegistrationSearchRepository } from '../../repositories/registration-search-repository.js'
import type {
  EventRow,
  Registration,
  RegistrationEvent,
  WrittenEventsSink,
} from '../../repositories/registrations-repository.js'

/** What observes the saga besides its own tables: the log and, when present, the metrics. */
export type SagaObservers = Pick<Deps, 'log'> & Partial<Pick<Deps, 'metrics'>>

// The states `flip_users_registrations_total{outcome}` counts when a registration reaches them
// (`accepted`, the 202 answer, is counted by the route).
const OUTCOMES: readonly RegistrationState[] = ['completed', 'rolled_back', 'failed', 'needs_attention']
// States whose attempt is counted against the retry budget (compensation's, which deletes share).
const COMPENSATION: readonly string[] = [
  'compensating',
  'rolled_back',
  'needs_attention',
  'deleting',
  'deleted',
]

/**
 * One structured line per transition a piece of work made (`registrationId`, `from`, `to`,
 * `actor`, `reason`, `attempt`), from the events it wrote, so the line says exactly what the
 * event log says; progress notes (same state) go at debug. Reaching an outcome is counted.
 * The log is the caller's: a request's child logger carries its requestId, a job's too.
 */
export const reportTransitions = (
  observers: SagaObservers,
  counters: Pick<Registration, 'attempts' | 'compensationAttempts'> & { kind?: RegistrationKind },
  events: readonly Pick<RegistrationEvent, 'registrationId' | 'fromState' | 'toState' | 'actor' | 'reason'>[],
): void => {
  for (const event of events) {
    const to = event.toState as RegistrationState
    const line = {
      registrationId: event.registrationId,
      from: event.fromState,
      to,
      actor: event.actor,
      reason: event.reason,
      attempt: COMPENSATION.includes(to) ? counters.compensationAttempts : counters.attempts,
    }
    if (event.fromState === event.toState) {
      observers.log.debug(line, 'registration progress')
      continue
    }
    observers.log.info(line, 'registration transition')
    // Registration outcomes only: a delete's `failed` is not a registration that failed.
    if (OUTCOMES.includes(to) && (counters.kind ?? 'register') !== 'delete')
      observers.metrics?.registrationOutcomes.inc({ outcome: to })
  }
}

/**
 * Reports the transitions written under a lease claimed as `claimed` (events at or after the
 * claim, by the database's clock: the lease ran until `claim + leaseSeconds`). One query per
 * piece of work (its events with the registration's counters); never throws (a failed report
 * must not fail the work).
 */
export const reportWorkUnderLease = async (
  observers: SagaObservers & Pick<Deps, 'db'>,
  claimed: Registration,
  leaseSeconds: number,
): Promise<void> => {
  try {
    const claimedAt = new Date((claimed.leaseUntil?.getTime() ?? 0) - leaseSeconds * 1000)
    const work = await createRegistrationSearchRepository(observers.db).workSince(claimed.id, claimedAt)
    if (work.length === 0) return
    reportTransitions(
      observers,
      work[0]!,
      work.map((row) => row.event),
    )
  } catch (error) {
    observers.log.warn({ err: error, registrationId: claimed.id }, 'could not report the transitions made')
  }
}

/**
 * What a piece of work under a lease wrote, as its repositories told it, so the hot path
 * reports its transitions without reading them back. Trusted only when it is sure and whole:
 * no write failed (one that failed may still have committed) and the work ended `completed` —
 * the path every write of which goes through the saga's repositories. Anything else is read
 * back from the event log ({@link reportWorkUnderLease}).
 */
export const recordWrittenEvents = (seed?: { registration: Registration; events: readonly EventRow[] }) => {
  let last: Registration | undefined
  let uncertain = false
  const events: Pick<RegistrationEvent, 'registrationId' | 'fromState' | 'toState' | 'actor' | 'reason'>[] =
    []
  const sink: WrittenEventsSink = {
    written(registration, written) {
      last = registration
      for (const event of written)
        events.push({
          registrationId: registration.id,
          fromState: event.from,
          toState: event.to,
          actor: event.actor,
          reason: event.reason,
        })
    },
    failed() {
      uncertain = true
    },
  }
  if (seed) sink.written(seed.registration, seed.events)
  return {
    sink,
    /** The work's registration and events when they are known for sure, else undefined. */
    known: () => (!uncertain && last?.state === 'completed' ? { registration: last, events } : undefined),
    /** The last write that returned ended the lease itself (the completing statement). */
    releasedTheLease: () => last !== undefined && last.leaseOwner === null,
  }
}

/** A saga step, timed for `flip_users_saga_step_duration_seconds{step,result}`. */
export const timedStep =
  <Ctx extends { deps: Partial<Pick<Deps, 'metrics'>> }, R, Result extends { next: string }>(
    name: string,
    step: (ctx: Ctx, registration: R) => Promise<Result>,
  ) =>
  async (ctx: Ctx, registration: R): Promise<Result> => {
    const stop = ctx.deps.metrics?.sagaStepDuration.startTimer({ step: name })
    try {
      const result = await step(ctx, registration)
      stop?.({ result: result.next })
      return result
    } catch (error) {
      stop?.({ result: 'error' })
      throw error
    }
  }
