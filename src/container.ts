import type { Logger } from 'pino'
import { createPermissionChecker, type PermissionChecker } from './auth/permission-checker.js'
import { createTokenVerifier, type TokenVerifier } from './auth/token-verifier.js'
import type { Config } from './config.js'
import { lockDataDir } from './db/data-dir-lock.js'
import type { Database, Db } from './db/database.js'
import { migrateAndSeed } from './db/migrate.js'
import { type Clock, systemClock } from './domain/clock.js'
import { type AccountStatusGate, createAccountStatusGate } from './http/account-status-gate.js'
import type { LocalTokens } from './identity/identity-adapter.js'
import { buildIdentity } from './identity/identity-adapters.js'
import type { IdentityProvider } from './identity/identity-provider.js'
import { type JobQueue, type JobQueueOptions, startJobQueue } from './jobs/job-queue.js'
import { createMetrics, type Metrics } from './metrics/metrics.js'
import { createRegistrationSearchRepository } from './repositories/registration-search-repository.js'
import { defaultSagaOptions, type SagaOptions } from './saga-options.js'

/** Everything the service is built from. Use cases take only the slice they need. */
export interface Deps {
  config: Config
  log: Logger
  clock: Clock
  database: Database
  db: Db
  idp: IdentityProvider
  permissions: PermissionChecker
  verifier: TokenVerifier
  /** Whether a caller's account is enabled; one per process, so a disable here holds at once. */
  accountStatus: AccountStatusGate
  /** `local` backend only: the service signs its own tokens and publishes their keys. */
  localTokens: LocalTokens | undefined
  /**
   * The web origins allowed to call the API from a browser (CORS): CORS_ALLOWED_ORIGINS, or with
   * Cognito and none configured, the app client's callback and logout URLs. Only the HTTP app
   * asks, once at start, so CLI commands never make the call.
   */
  allowedWebOrigins: () => Promise<readonly string[]>
  /** Background work (pg-boss). Absent in short-lived CLI commands that only read. */
  jobs: JobQueue | undefined
  saga: SagaOptions
  /** This process's Prometheus metrics (one registry per container). */
  metrics: Metrics
}

/**
 * The deps of a process that runs background work (`serve`, and CLI commands that queue it):
 * the container was asked for the job engine, so `jobs` is there.
 */
export type DepsWithJobs = Deps & { jobs: JobQueue }

export interface Container<D extends Deps = Deps> {
  deps: D
  close(): Promise<void>
}

export interface ContainerOptions {
  clock?: Clock
  database?: Database
  /** Start the job engine (queues only; workers are started by `serve`). Default true. */
  jobs?: boolean | JobQueueOptions
  saga?: Partial<SagaOptions>
}

/** Opens the configured database; in embedded mode, first takes the data directory's lock. */
export const openConfiguredDatabase = async (config: Config, log: Logger): Promise<Database> => {
  // Each mode loads only its own driver: a server on PostgreSQL never holds PGlite's module.
  if (config.databaseUrl !== undefined) {
    const { openPostgres } = await import('./db/open-postgres.js')
    return openPostgres(config.databaseUrl)
  }
  const { openPglite, pgliteDirectoryOf } = await import('./db/open-pglite.js')
  const release = await lockDataDir(config.dataDir, (error) => {
    // Someone removed or took over our lock: carrying on risks two writers on one directory.
    log.fatal({ err: error }, 'lost the lock on the data directory; stopping')
    process.exit(70)
  })
  try {
    const database = await openPglite(pgliteDirectoryOf(config.dataDir))
    const close = database.close
    return {
      ...database,
      close: async () => {
        await close()
        await release()
      },
    }
  } catch (error) {
    await release()
    throw error
  }
}

/**
 * The composition root: database (migrated and seeded), identity provider, token verification
 * and permissions. Nothing else in the codebase constructs these.
 */
export function createContainer(
  config: Config,
  log: Logger,
  options?: ContainerOptions & { jobs?: true | JobQueueOptions },
): Promise<Container<DepsWithJobs>>
export function createContainer(config: Config, log: Logger, options: ContainerOptions): Promise<Container>
export async function createContainer(
  config: Config,
  log: Logger,
  options: ContainerOptions = {},
): Promise<Container> {
  const clock = options.clock ?? systemClock
  const database = options.database ?? (await openConfiguredDatabase(config, log))
  try {
    await migrateAndSeed(database)
    const { db } = database
    const metrics = createMetrics()
    const identity = await buildIdentity(config.identity, { database, clock, log, metrics })
    const { idp } = identity
    const verifier = createTokenVerifier({ ...identity.tokens, clock, log })
    const permissions = createPermissionChecker({ db, log })
    const jobs =
      options.jobs === false
        ? undefined
        : await startJobQueue(
            database,
            log,
            options.jobs === true || options.jobs === undefined ? {} : options.jobs,
          )
    const { corsAllowedOrigins } = config
    const saga = { ...defaultSagaOptions, ...config.registration, ...options.saga }
    const deps: Deps = {
      config,
      log,
      clock,
      database,
      db,
      idp,
      permissions,
      verifier,
      accountStatus: createAccountStatusGate(
        { idp, clock },
        { ttlSeconds: identity.accountStatusCacheable ? config.accountStatusCacheSeconds : 0 },
      ),
      localTokens: identity.localTokens,
      // An operator's list wins; without one the provider may know them (Cognito's app client does).
      allowedWebOrigins:
        corsAllowedOrigins === undefined ? identity.webOrigins : async () => corsAllowedOrigins,
      jobs,
      saga,
      metrics,
    }
    metrics.setSources({
      registrationsByState: () => createRegistrationSearchRepository(db).countByState(),
      jobsQueued: async () => jobs?.queued(),
      pacingQueueDepth: identity.pacingQueueDepth,
    })
    return {
      deps,
      close: async () => {
        await jobs?.stop()
        await database.close()
      },
    }
  } catch (error) {
    await database.close()
    throw error
  }
}
