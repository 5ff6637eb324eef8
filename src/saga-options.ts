/**
 * The saga's tuning, read from the environment (REGISTRATION_*) by `config.ts`. It lives beside
 * the configuration, not in the saga, so the composition root can default it without importing a
 * feature.
 */
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
