import {
  createRegistrationsRepository,
  type EventRow,
  type Registration,
  type WrittenEventsSink,
} from '../../repositories/registrations-repository.js'
import { leaseOwnerId } from '../operate-registrations/lease-holder.js'
import type { SagaDeps } from './saga-context.js'
import { recordWrittenEvents, reportTransitions, reportWorkUnderLease } from './transition-log.js'

export interface Lease {
  /** The owner id this lease was claimed as. */
  owner: string
  /**
   * Renews the lease once a third of it has gone: one claim would otherwise cover the whole
   * work, paced IdP waits included, and once it lapsed the lapsed-lease sweep would start a
   * second worker beside this one. Quick work stays at one claim.
   * @returns the registration as renewed (or as given when not due), undefined if it was lost
   */
  renewIfDue(current: Registration): Promise<Registration | undefined>
  /** Where the work's registrations repositories tell what they wrote (the lease reports it). */
  written: WrittenEventsSink
}

/** A lease the caller already holds: taken with the record's insert, on the request path. */
export interface HeldLease {
  registration: Registration
  owner: string
  /** What the insert wrote: this work's report includes it. */
  events: readonly EventRow[]
}

export type Leased<T> = { claimed: true; value: T } | { claimed: false }

/**
 * Runs `work` holding the registration's lease, so only one worker, request or operator works a
 * registration at a time, across processes. Nothing is run when another holder has it (or it is
 * not workable). The transitions made are logged before the release, while the lease still keeps
 * other writers out, so no other worker's events are reported (and counted) as this work's; the
 * release comes last, whatever `work` did, unless the work's completing statement ended the
 * lease itself. `held`: a lease the caller took with the record's insert, so none is claimed.
 */
export const withLease = async <T>(
  deps: SagaDeps,
  leaseSeconds: number,
  registrationId: string,
  actor: string,
  work: (claimed: Registration, lease: Lease) => Promise<T>,
  held?: HeldLease,
): Promise<Leased<T>> => {
  const registrations = createRegistrationsRepository(deps.db)
  const owner = held?.owner ?? leaseOwnerId(actor)
  const claimed = held?.registration ?? (await registrations.claim(registrationId, owner, leaseSeconds))
  if (!claimed) return { claimed: false }
  let takenAt = deps.clock.now().getTime()
  const written = recordWrittenEvents(held && { registration: held.registration, events: held.events })
  const lease: Lease = {
    owner,
    written: written.sink,
    async renewIfDue(current) {
      if (deps.clock.now().getTime() - takenAt <= (leaseSeconds * 1000) / 3) return current
      const renewed = await registrations.claim(registrationId, owner, leaseSeconds)
      if (renewed) takenAt = deps.clock.now().getTime()
      return renewed
    },
  }
  let finished = false
  try {
    const value = await work(claimed, lease)
    finished = true
    return { claimed: true, value }
  } finally {
    // The hot path's writes are known as they were made; anything less certain is read back.
    const known = finished ? written.known() : undefined
    if (known) reportTransitions(deps, known.registration, known.events)
    else await reportWorkUnderLease(deps, claimed, leaseSeconds)
    // The completing statement ends the lease itself; then no release follows.
    if (!written.releasedTheLease()) await registrations.release(registrationId, owner)
  }
}
