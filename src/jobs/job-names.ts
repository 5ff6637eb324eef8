/** Queues of background work. Each is created at start with the options in job-queue.ts. */
export const jobNames = {
  /** Advance one registration; keyed by registration id so at most one is queued per registration. */
  advanceRegistration: 'registration-advance',
  /** Find workable registrations nobody is working (a crashed process, a lost job) and queue them. */
  sweepRegistrations: 'registration-sweep',
} as const
