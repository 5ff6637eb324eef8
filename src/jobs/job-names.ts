/** Queues of background work. Each is created at start with the options in job-queue.ts. */
export const jobNames = {
  /**
   * Advance one registration; keyed by registration id so at most one is queued per registration.
   * A new name because a queue's policy cannot change once created: the earlier
   * `registration-advance` queue was `stately`, which kept a dead process's active job blocking
   * recovery until it expired. Jobs left in it are never worked; the sweeps re-queue their
   * registrations here.
   */
  advanceRegistration: 'registration-advance-leased',
  /** Find workable registrations nobody is working (a crashed process, a lost job) and queue them. */
  sweepRegistrations: 'registration-sweep',
} as const
