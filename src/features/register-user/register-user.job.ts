import type { JobQueue } from '../../jobs/job-queue.js'
import { createRegistrationsRepository } from '../../repositories/registrations-repository.js'
import type { SagaOptions } from '../../saga-options.js'
import { advanceRegistration } from './register-user.saga.js'
import type { SagaDeps } from './saga-context.js'

const SWEEP_BATCH = 500

/**
 * Background completion: a job per registration advances it; after a transient failure (or with
 * a lease held by someone else) the job ends and queues the next attempt with exponential backoff
 * and jitter, so a registration never has more than one job waiting. A job that throws (the
 * database failing outside a step) is retried by the engine.
 * Two sweeps re-queue what nobody is working on:
 * - the lease sweep, every `options.sweepSeconds` in every process: registrations whose lease
 *   lapsed without a release, i.e. a process died (or stalled) holding them. This bounds recovery
 *   after a crash by the lease plus the sweep period (plus a job poll), whatever pg-boss still
 *   thinks the dead process's job is doing;
 * - the full sweep, once a minute across all processes (and at start): every workable registration
 *   nobody holds, which also covers a job lost between a lease release and its enqueue, and caps
 *   a long backoff at about a minute.
 */
export const startRegistrationWorkers = async (deps: SagaDeps, options: SagaOptions, queue: JobQueue) => {
  await queue.workRegistrations(async (registrationId, { requestId, jobId, retryCount, attempt }) => {
    // The request that started this work names its lines too, so one id follows it end to end.
    const log = deps.log.child({ ...(requestId ? { requestId } : {}), jobId })
    const line = { registrationId, actor: 'worker', attempt: (attempt ?? 0) + retryCount + 1 }
    log.info(line, 'registration job started')
    let result: Awaited<ReturnType<typeof advanceRegistration>>
    try {
      result = await advanceRegistration({ ...deps, log }, options, registrationId, 'worker')
    } catch (error) {
      log.warn({ ...line, err: error }, 'registration job failed; it will be retried')
      throw error
    }
    if (!result.registration) {
      log.warn(line, 'job for a registration that no longer exists; dropping it')
      return
    }
    const state = { ...line, to: result.registration.state }
    if (result.retryLater) {
      log.info(
        { ...state, reason: result.claimed ? 'still workable' : 'held by another worker' },
        'registration job will retry',
      )
      await queue.deferRegistration(registrationId, {
        ...(requestId ? { requestId } : {}),
        attempt: (attempt ?? 0) + 1,
      })
      return
    }
    log.info(state, 'registration job finished')
  })
  await queue.workSweeps(async () => {
    const orphans = await createRegistrationsRepository(deps.db).findUnclaimedWorkable(SWEEP_BATCH)
    for (const registration of orphans) await queue.enqueueRegistration(registration.id)
    if (orphans.length > 0) deps.log.info({ count: orphans.length }, 'queued unfinished registrations')
  })
  queue.workEvery(options.sweepSeconds, async () => {
    const lapsed = await createRegistrationsRepository(deps.db).findLapsedLeases(SWEEP_BATCH)
    for (const registration of lapsed) await queue.enqueueRegistration(registration.id)
    if (lapsed.length > 0)
      deps.log.info({ count: lapsed.length }, 'queued registrations whose worker stopped holding them')
  })
}
