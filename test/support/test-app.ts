import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import { type Config, loadConfig } from '../../src/config.js'
import { createContainer, type Deps } from '../../src/container.js'
import type { Database } from '../../src/db/database.js'
import type { Clock } from '../../src/domain/clock.js'
import { buildApp } from '../../src/http/build-app.js'

export interface TestApp {
  app: FastifyInstance
  deps: Deps
  close(): Promise<void>
}

export const silentLog = pino({ level: 'silent' })

/** A configuration as `loadConfig` would build it from `env` (no real environment leaks in). */
export const testConfig = (env: Record<string, string> = {}): Config =>
  loadConfig({ LOG_LEVEL: 'silent', ...env })

/**
 * The real container and HTTP app on a test database. Closing it leaves the database open: the
 * test file owns that.
 */
export const createTestApp = async (
  database: Database,
  options: { env?: Record<string, string>; clock?: Clock } = {},
): Promise<TestApp> => {
  const unclosable: Database = { ...database, close: async () => {} }
  const container = await createContainer(testConfig(options.env), silentLog, {
    database: unclosable,
    ...(options.clock ? { clock: options.clock } : {}),
  })
  const app = await buildApp(container.deps)
  await app.ready()
  return { app, deps: container.deps, close: () => app.close() }
}
