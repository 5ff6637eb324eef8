import type { JobQueue } from '../../jobs/job-queue.js'
import { createRegistrationsRepository } from '../../repositories/registrations-repository.js'
import { advanceRegistration } from './register-user.saga.js'
import type { SagaDeps, SagaOptions } from './saga-context.js'

/** Thrown so the job engine retries the job with backoff. */
export class RetryLaterError extends Error {
  constructor(registrationId: string, state: string) {
    super(`registration ${registrationId} is still ${state}; retrying later`)
    this.name = 'RetryLaterError'
  }
}

const SWEEP_BATCH = 500

/**
 * Background completion: a job per registration advances it; a transient failure (or a lease
 * held by someone else) throws, and the engine retries with exponential backoff and jitter. The
 * sweep re-queues workable registrations that nobody holds — those a crash orphaned.
 */
export const startRegistrationWorkers = async (deps: SagaDeps, options: SagaOptions, queue: JobQueue) => {
  await queue.workRegistrations(async (registrationId) => {
    const result = await advanceRegistration(deps, options, registrationId, 'worker')
    if (!result.registration) {
      deps.log.warn({ registrationId }, 'job for a registration that no longer exists; dropping it')
      return
    }
    if (result.retryLater) throw new RetryLaterError(registrationId, result.registration.state)
  })
  await queue.workSweeps(async () => {
    const orphans = await createRegistrationsRepository(deps.db).findUnclaimedWorkable(SWEEP_BATCH)
    for (const registration of orphans) await queue.enqueueRegistration(registration.id)
    if (orphans.length > 0) deps.log.info({ count: orphans.length }, 'queued unfinished registrations')
  })
}
