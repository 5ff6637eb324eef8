import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { publishServingEndpoint } from './cli/serving-endpoint.js'
import type { Config } from './config.js'
import { type Container, createContainer, type DepsWithJobs } from './container.js'
import { type BootstrapOutcome, bootstrapAdmin } from './features/bootstrap-admin/bootstrap-admin.js'
import { startRegistrationWorkers } from './features/register-user/register-user.job.js'
import { buildApp } from './http/build-app.js'

export interface RunningServer {
  container: Container<DepsWithJobs>
  app: FastifyInstance
  url: string
  bootstrap: BootstrapOutcome
  /** Stops accepting, lets in-flight requests finish, then closes the database. */
  close(): Promise<void>
}

/**
 * The process entry behind `flip-users serve`: config → container (migrate, seed) → bootstrap
 * admin → HTTP. Nothing listens until every earlier step has succeeded.
 */
export const startServer = async (config: Config, log: Logger): Promise<RunningServer> => {
  const container = await createContainer(config, log)
  try {
    const bootstrap = await bootstrapAdmin(container.deps)
    const app = await buildApp(container.deps)
    await startRegistrationWorkers(container.deps, container.deps.saga, container.deps.jobs)
    await app.listen({ port: config.port, host: config.host })
    const address = app.server.address()
    const port = typeof address === 'object' && address !== null ? address.port : config.port
    const host = ['0.0.0.0', '::'].includes(config.host) ? '127.0.0.1' : config.host
    let closing: Promise<void> | undefined
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
    // Embedded: CLI commands reach this server over HTTP while it holds the data directory.
    const unpublish = await publishServingEndpoint(container.deps, url)
    return {
      container,
      app,
      url,
      bootstrap,
      close: () => {
        // HTTP first (in-flight requests finish), then workers and the database.
        closing ??= unpublish()
          .then(() => app.close())
          .then(() => container.close())
        return closing
      },
    }
  } catch (error) {
    await container.close()
    throw error
  }
}
