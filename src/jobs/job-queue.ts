import { fromPglite, PgBoss } from 'pg-boss'
import type { Logger } from 'pino'
import type { Database } from '../db/database.js'
import { jobNames } from './job-names.js'

export interface JobQueue {
  /** Queues work on a registration unless some is already queued for it; `delaySeconds` defers it. */
  enqueueRegistration(registrationId: string, delaySeconds?: number): Promise<void>
  /** Runs `handler` for each registration job; throwing retries it with exponential backoff and jitter. */
  workRegistrations(handler: (registrationId: string) => Promise<void>): Promise<void>
  /** Runs `handler` every minute, across all processes once per minute, and once now. */
  workSweeps(handler: () => Promise<void>): Promise<void>
  stop(): Promise<void>
}

export interface JobQueueOptions {
  /** How often idle workers look for jobs. */
  pollingIntervalSeconds?: number
  /** First retry delay; doubles per retry (with jitter) up to `retryDelayMaxSeconds`. */
  retryDelaySeconds?: number
  retryDelayMaxSeconds?: number
  /** Registrations worked at once by this process. */
  concurrency?: number
}

/**
 * pg-boss on the service's own database (PostgreSQL, or PGlite through its adapter): jobs are
 * rows, so they survive crashes and are shared by every process on one database.
 */
export const startJobQueue = async (
  database: Database,
  log: Logger,
  options: JobQueueOptions = {},
): Promise<JobQueue> => {
  const boss =
    database.kind === 'pglite'
      ? new PgBoss({ db: fromPglite(database.pglite) })
      : new PgBoss({ connectionString: database.url, max: 4 })
  boss.on('error', (error) => log.error({ err: error }, 'job queue error'))
  await boss.start()
  await boss.createQueue(jobNames.advanceRegistration, {
    // One queued and one active job per registration: duplicates from the request path and the
    // sweep collapse into one.
    policy: 'stately',
    retryLimit: 1000,
    retryDelay: options.retryDelaySeconds ?? 2,
    retryBackoff: true,
    retryDelayMax: options.retryDelayMaxSeconds ?? 300,
    expireInSeconds: 300,
  })
  await boss.createQueue(jobNames.sweepRegistrations, { policy: 'stately', retryLimit: 0 })
  const pollingIntervalSeconds = options.pollingIntervalSeconds ?? 2

  return {
    async enqueueRegistration(registrationId, delaySeconds) {
      await boss.send(
        jobNames.advanceRegistration,
        { registrationId },
        { singletonKey: registrationId, ...(delaySeconds ? { startAfter: delaySeconds } : {}) },
      )
    },
    async workRegistrations(handler) {
      await boss.work<{ registrationId: string }>(
        jobNames.advanceRegistration,
        { pollingIntervalSeconds, localConcurrency: options.concurrency ?? 4 },
        async ([job]) => {
          if (job) await handler(job.data.registrationId)
        },
      )
    },
    async workSweeps(handler) {
      await boss.work(jobNames.sweepRegistrations, { pollingIntervalSeconds }, async () => handler())
      await boss.schedule(jobNames.sweepRegistrations, '* * * * *')
      await boss.send(jobNames.sweepRegistrations, {}, { singletonKey: 'startup' })
    },
    async stop() {
      await boss.stop({ graceful: true, timeout: 10_000 })
    },
  }
}
