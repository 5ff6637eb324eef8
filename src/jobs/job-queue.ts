import { fromPglite, PgBoss } from 'pg-boss'
import type { Logger } from 'pino'
import type { Database } from '../db/database.js'
import { backoffDelayMs } from '../identity/pacing/backoff.js'
import { jobNames } from './job-names.js'

export interface JobQueue {
  /** Queues work on a registration unless some is already queued for it; `delaySeconds` defers it. */
  enqueueRegistration(registrationId: string, delaySeconds?: number, context?: JobContext): Promise<void>
  /**
   * Queues the next attempt at a registration whose work is not done (transient failure, lease
   * held elsewhere), `context.attempt` deferrals in a row: exponential backoff with jitter.
   */
  deferRegistration(registrationId: string, context: JobContext): Promise<void>
  /** Runs `handler` for each registration job; throwing retries it with exponential backoff and jitter. */
  workRegistrations(
    handler: (registrationId: string, context: JobContext & RunContext) => Promise<void>,
  ): Promise<void>
  /** Runs `handler` every minute, across all processes once per minute, and once now. */
  workSweeps(handler: () => Promise<void>): Promise<void>
  /**
   * Runs `handler` in THIS process every `periodSeconds` (never two runs at once), until `stop`.
   * Every process runs its own, so the handler must be cheap and safe to run side by side.
   */
  workEvery(periodSeconds: number, handler: () => Promise<void>): void
  /** Registration jobs queued and not yet started (a metric; pg-boss's cached queue counts). */
  queued(): Promise<number>
  stop(): Promise<void>
}

/** Carried in a job's payload: the request that started the work, for its log lines. */
export interface JobContext {
  requestId?: string
  /** How many times in a row this registration's work was deferred; sets the next backoff. */
  attempt?: number
}

/** What the engine tells a handler about the run. */
export interface RunContext {
  jobId: string
  /** 0 on the first run, then one more per retry. */
  retryCount: number
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
  const retryDelaySeconds = options.retryDelaySeconds ?? 2
  const retryDelayMaxSeconds = options.retryDelayMaxSeconds ?? 300
  await boss.createQueue(jobNames.advanceRegistration, {
    // At most one QUEUED job per registration (duplicates from the request path and the sweeps
    // collapse into one), but no limit on active ones: "one worker at a time" is the lease in the
    // registration's row, not pg-boss. A process killed mid-job leaves its job `active` until it
    // expires (expireInSeconds); with `stately` that job blocked every new one for the
    // registration, so recovery waited for the expiry instead of the lease. Now the lease sweep's
    // job runs as soon as the lease has lapsed, and the dead job, when it expires and is retried,
    // finds the registration final (or leased) and ends.
    policy: 'short',
    retryLimit: 1000,
    retryDelay: retryDelaySeconds,
    retryBackoff: true,
    retryDelayMax: retryDelayMaxSeconds,
    expireInSeconds: 300,
  })
  await boss.createQueue(jobNames.sweepRegistrations, { policy: 'stately', retryLimit: 0 })
  const pollingIntervalSeconds = options.pollingIntervalSeconds ?? 2
  const timers = new Set<NodeJS.Timeout>()
  const running = new Map<NodeJS.Timeout, Promise<void>>()

  const enqueueRegistration: JobQueue['enqueueRegistration'] = async (
    registrationId,
    delaySeconds,
    context,
  ) => {
    await boss.send(
      jobNames.advanceRegistration,
      {
        registrationId,
        ...(context?.requestId ? { requestId: context.requestId } : {}),
        ...(context?.attempt ? { attempt: context.attempt } : {}),
      },
      { singletonKey: registrationId, ...(delaySeconds ? { startAfter: delaySeconds } : {}) },
    )
  }

  return {
    enqueueRegistration,
    async deferRegistration(registrationId, context) {
      // A new queued job, not a pg-boss retry of this one: the one-queued-job rule (`short`) does
      // not cover jobs waiting to be retried, so retries would pile up beside every sweep's job.
      const delayMs = backoffDelayMs(
        Math.max(0, (context.attempt ?? 1) - 1),
        { baseDelayMs: retryDelaySeconds * 1000, maxDelayMs: retryDelayMaxSeconds * 1000 },
        Math.random,
      )
      await enqueueRegistration(registrationId, Math.max(1, Math.round(delayMs / 1000)), context)
    },
    async workRegistrations(handler) {
      await boss.work<{ registrationId: string; requestId?: string; attempt?: number }>(
        jobNames.advanceRegistration,
        { pollingIntervalSeconds, localConcurrency: options.concurrency ?? 4, includeMetadata: true },
        async ([job]) => {
          if (!job) return
          const { registrationId, requestId, attempt } = job.data
          await handler(registrationId, {
            ...(requestId ? { requestId } : {}),
            ...(attempt ? { attempt } : {}),
            jobId: job.id,
            retryCount: job.retryCount,
          })
        },
      )
    },
    async workSweeps(handler) {
      await boss.work(jobNames.sweepRegistrations, { pollingIntervalSeconds }, async () => handler())
      await boss.schedule(jobNames.sweepRegistrations, '* * * * *')
      await boss.send(jobNames.sweepRegistrations, {}, { singletonKey: 'startup' })
    },
    workEvery(periodSeconds, handler) {
      const timer = setInterval(() => {
        if (running.has(timer)) return
        const run = handler()
          .catch((error) => log.error({ err: error }, 'periodic background work failed'))
          .finally(() => running.delete(timer))
        running.set(timer, run)
      }, periodSeconds * 1000)
      timer.unref()
      timers.add(timer)
    },
    async queued() {
      return (await boss.getQueue(jobNames.advanceRegistration))?.queuedCount ?? 0
    },
    async stop() {
      for (const timer of timers) clearInterval(timer)
      timers.clear()
      // A run under way finishes before pg-boss and then the database close under it.
      await Promise.all(running.values())
      await boss.stop({ graceful: true, timeout: 10_000 })
    },
  }
}
