import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import { type Config, loadConfig } from '../../src/config.js'
import { createContainer, type DepsWithJobs } from '../../src/container.js'
import type { Database } from '../../src/db/database.js'
import type { Clock } from '../../src/domain/clock.js'
import { startRegistrationWorkers } from '../../src/features/register-user/register-user.job.js'
import { buildApp } from '../../src/http/build-app.js'
import type { IdentityProvider } from '../../src/identity/identity-provider.js'
import type { SagaOptions } from '../../src/saga-options.js'

export interface TestApp {
  app: FastifyInstance
  deps: DepsWithJobs
  close(): Promise<void>
}

export const silentLog = pino({ level: 'silent' })

/**
 * A configuration as `loadConfig` would build it from `env` (no real environment leaks in). The
 * MFA gate is off unless a test turns it on (ENFORCE_MFA defaults to on for cognito).
 */
export const testConfig = (env: Record<string, string> = {}): Config =>
  loadConfig({ LOG_LEVEL: 'silent', ENFORCE_MFA: 'false', ...env })

/**
 * The real container and HTTP app on a test database. Closing it leaves the database open: the
 * test file owns that.
 */
export const createTestApp = async (
  database: Database,
  options: {
    env?: Record<string, string>
    clock?: Clock
    saga?: Partial<SagaOptions>
    /** Wraps the real identity provider, e.g. in a scripted one that injects faults. */
    wrapIdentityProvider?: (idp: IdentityProvider) => IdentityProvider
    /** Run the background workers (registration jobs and the sweep), polling fast. */
    workers?: boolean
  } = {},
): Promise<TestApp> => {
  const unclosable: Database = { ...database, close: async () => {} }
  const container = await createContainer(testConfig(options.env), silentLog, {
    database: unclosable,
    jobs: { pollingIntervalSeconds: 0.5, retryDelaySeconds: 1, retryDelayMaxSeconds: 2 },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.saga ? { saga: options.saga } : {}),
  })
  const deps = options.wrapIdentityProvider
    ? { ...container.deps, idp: options.wrapIdentityProvider(container.deps.idp) }
    : container.deps
  const app = await buildApp(deps)
  await app.ready()
  if (options.workers) await startRegistrationWorkers(deps, deps.saga, deps.jobs)
  return {
    app,
    deps,
    close: async () => {
      await app.close()
      await container.close()
    },
  }
}
