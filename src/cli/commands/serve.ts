import { loadConfig } from '../../config.js'
import { createLogger } from '../../logger.js'
import { startServer } from '../../main.js'

const ADMIN_TOKEN_TTL_SECONDS = 8 * 3600

/** `flip-users serve`: run the service until SIGTERM or SIGINT, then shut down gracefully. */
export const serveCommand = async (): Promise<number> => {
  const config = loadConfig()
  const log = createLogger(config.logLevel)
  const server = await startServer(config, log)
  const { deps } = server.container
  const lines = [
    `flip-users is listening on ${server.url} (database: ${deps.database.kind}, identity provider: ${deps.idp.backend})`,
  ]
  if (server.bootstrap.outcome === 'created')
    lines.push(`Created the bootstrap admin ${server.bootstrap.admin.email}.`)
  if (server.bootstrap.outcome === 'not-configured') {
    lines.push('Nobody holds the Admin role: set FLIP_ADMIN_EMAIL to name the bootstrap admin.')
  }
  // An embedded data directory has one owner, so `flip-users token` cannot run beside us: hand
  // the operator a ready admin token now.
  if (deps.localTokens && config.adminEmail) {
    const admin = await deps.idp.getUserByEmail(config.adminEmail)
    const token = await deps.localTokens.issuer.issue(admin, ADMIN_TOKEN_TTL_SECONDS)
    lines.push(
      `Admin token for ${admin.email} (valid ${ADMIN_TOKEN_TTL_SECONDS / 3600} h):`,
      `  ${token}`,
      'Try it:',
      `  curl -H "Authorization: Bearer ${token}" ${server.url}/api/roles`,
      `API docs: ${server.url}/api/docs`,
    )
  }
  process.stdout.write(`${lines.join('\n')}\n`)

  return new Promise((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down')
      process.once(signal, () => process.exit(130))
      server.close().then(
        () => resolve(0),
        (error) => {
          log.error({ err: error }, 'shutdown failed')
          resolve(1)
        },
      )
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
  })
}
