import type { JSONWebKeySet } from 'jose'
import type { Logger } from 'pino'
import { localKeySource, remoteKeySource } from './auth/key-sources.js'
import { loadLocalSigningKeys } from './auth/local-signing-keys.js'
import { createLocalTokenIssuer, type LocalTokenIssuer } from './auth/local-token-issuer.js'
import { createPermissionChecker, type PermissionChecker } from './auth/permission-checker.js'
import { cognitoJwksUrl, cognitoTokenRules, localTokenRules } from './auth/token-rules.js'
import { createTokenVerifier, type TokenVerifier } from './auth/token-verifier.js'
import { type Config, ConfigError } from './config.js'
import { lockDataDir } from './db/data-dir-lock.js'
import type { Database, Db } from './db/database.js'
import { migrateAndSeed } from './db/migrate.js'
import { openPglite, pgliteDirectoryOf } from './db/open-pglite.js'
import { openPostgres } from './db/open-postgres.js'
import { type Clock, systemClock } from './domain/clock.js'
import { defaultSagaOptions, type SagaOptions } from './features/register-user/saga-context.js'
import { type AccountStatusGate, createAccountStatusGate } from './http/account-status-gate.js'
import { describeAppClientOrigins } from './identity/cognito/cognito-app-client.js'
import { COGNITO_QUOTA_OF, cognitoRates } from './identity/cognito/cognito-config.js'
import { createCognitoIdentityProvider } from './identity/cognito/cognito-identity-provider.js'
import type { IdentityProvider } from './identity/identity-provider.js'
import { createLocalIdentityProvider } from './identity/local/local-identity-provider.js'
import { createMeteredIdentityProvider } from './identity/metered-identity-provider.js'
import { createPacedIdentityProvider } from './identity/paced-identity-provider.js'
import { type JobQueue, type JobQueueOptions, startJobQueue } from './jobs/job-queue.js'
import { createMetrics, type Metrics } from './metrics/metrics.js'
import { createRegistrationSearchRepository } from './repositories/registration-search-repository.js'

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
  localTokens: { issuer: LocalTokenIssuer; jwks: JSONWebKeySet } | undefined
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

export interface Container {
  deps: Deps
  close(): Promise<void>
}

/** Opens the configured database; in embedded mode, first takes the data directory's lock. */
export const openConfiguredDatabase = async (config: Config, log: Logger): Promise<Database> => {
  if (config.databaseUrl !== undefined) return openPostgres(config.databaseUrl)
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

const buildIdentityProvider = (
  config: Config,
  db: Db,
  clock: Clock,
  metrics: Metrics,
): { idp: IdentityProvider; pacingQueueDepth: () => Record<string, number> } => {
  // Unpaced: `local` is our own database, with no quota to respect.
  if (config.authBackend === 'local')
    return {
      idp: createMeteredIdentityProvider(createLocalIdentityProvider({ db, clock }), metrics),
      pacingQueueDepth: () => ({}),
    }
  if (config.authBackend === 'cognito' && config.cognito) {
    // One paced instance per process: its limiters are this process's share of the account quota.
    // Metered inside the pacing, so each call that reaches Cognito is counted and timed once.
    const paced = createPacedIdentityProvider(
      createMeteredIdentityProvider(createCognitoIdentityProvider(config.cognito), metrics),
      {
        categories: COGNITO_QUOTA_OF,
        rates: cognitoRates(config.cognito),
        onThrottled: (category) => metrics.idpThrottled.inc({ category }),
      },
    )
    return { idp: paced, pacingQueueDepth: () => paced.queueDepth() }
  }
  throw new ConfigError([`AUTH_BACKEND=${config.authBackend} is not available in this build yet (use local)`])
}

const allowedWebOriginsOf = (config: Config): Deps['allowedWebOrigins'] => {
  const configured = config.corsAllowedOrigins
  if (configured !== undefined) return async () => configured
  const cognito = config.cognito
  if (config.authBackend === 'cognito' && cognito) return () => describeAppClientOrigins(cognito)
  return async () => []
}

/**
 * The composition root: database (migrated and seeded), identity provider, token verification
 * and permissions. Nothing else in the codebase constructs these.
 */
export const createContainer = async (
  config: Config,
  log: Logger,
  options: {
    clock?: Clock
    database?: Database
    /** Start the job engine (queues only; workers are started by `serve`). Default true. */
    jobs?: boolean | JobQueueOptions
    saga?: Partial<SagaOptions>
  } = {},
): Promise<Container> => {
  const clock = options.clock ?? systemClock
  const database = options.database ?? (await openConfiguredDatabase(config, log))
  try {
    await migrateAndSeed(database)
    const { db } = database
    const metrics = createMetrics()
    const { idp, pacingQueueDepth } = buildIdentityProvider(config, db, clock, metrics)
    let verifier: TokenVerifier
    let localTokens: Deps['localTokens']
    if (config.authBackend === 'local') {
      const keys = await loadLocalSigningKeys(database)
      const issuer = createLocalTokenIssuer({ keys, issuer: config.localTokenIssuer, clock })
      localTokens = { issuer, jwks: keys.jwks }
      verifier = createTokenVerifier({
        keys: localKeySource(keys.jwks),
        rules: localTokenRules(config.localTokenIssuer),
        clock,
        log,
        keySource: 'local signing keys',
      })
    } else {
      const cognito = config.cognito!
      const url = cognitoJwksUrl(cognito)
      verifier = createTokenVerifier({
        keys: remoteKeySource(url),
        rules: cognitoTokenRules(cognito),
        clock,
        log,
        keySource: url.href,
      })
    }
    const permissions = createPermissionChecker({ db, log })
    const jobs =
      options.jobs === false
        ? undefined
        : await startJobQueue(
            database,
            log,
            options.jobs === true || options.jobs === undefined ? {} : options.jobs,
          )
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
      // `local` reads its own table per request (one indexed query), so a disable holds at once.
      accountStatus: createAccountStatusGate(
        { idp, clock },
        { ttlSeconds: config.authBackend === 'local' ? 0 : config.accountStatusCacheSeconds },
      ),
      localTokens,
      allowedWebOrigins: allowedWebOriginsOf(config),
      jobs,
      saga,
      metrics,
    }
    metrics.setSources({
      registrationsByState: () => createRegistrationSearchRepository(db).countByState(),
      jobsQueued: async () => jobs?.queued(),
      pacingQueueDepth,
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
