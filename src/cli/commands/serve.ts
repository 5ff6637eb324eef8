import { loadConfig } from '../../config.js'
import { consoleBannerLines } from '../../features/console/console-link.js'
import { createLogger } from '../../logger.js'
import { type RunningServer, startServer } from '../../main.js'
import type { NoOptions, Run } from '../command-table.js'
import { exitCodes } from '../exit-codes.js'

const ADMIN_TOKEN_TTL_SECONDS = 8 * 3600

/**
 * The banner, for a human: it goes to stderr so stdout carries only JSON log lines. A ready admin
 * token only in embedded mode, where `flip-users token` cannot run beside the server (the data
 * directory has one owner); on PostgreSQL it says how to mint one, which works at any time.
 */
const bannerLines = async (server: RunningServer): Promise<string[]> => {
  const { deps } = server.container
  const { config } = deps
  const lines = [
    `flip-users is listening on ${server.url} (database: ${deps.database.kind}, identity provider: ${deps.idp.backend})`,
  ]
  if (server.bootstrap.outcome === 'created')
    lines.push(`Created the bootstrap admin ${server.bootstrap.admin.email}.`)
  if (server.bootstrap.outcome === 'not-configured')
    lines.push('Nobody holds the Admin role: set FLIP_ADMIN_EMAIL to name the bootstrap admin.')
  if (deps.localTokens && config.adminEmail && deps.database.kind === 'pglite') {
    const admin = await deps.idp.getUserByEmail(config.adminEmail)
    const token = await deps.localTokens.issuer.issue(admin, ADMIN_TOKEN_TTL_SECONDS)
    lines.push(
      `Admin token for ${admin.email} (valid ${ADMIN_TOKEN_TTL_SECONDS / 3600} h):`,
      `  ${token}`,
      'Try it:',
      `  curl -H "Authorization: Bearer ${token}" ${server.url}/api/roles`,
    )
  } else if (deps.localTokens && config.adminEmail) {
    lines.push(
      'Mint an admin token (same DATABASE_URL, at any time):',
      `  npx flip-users token --email ${config.adminEmail}`,
    )
  }
  lines.push(...(await consoleBannerLines(server, deps)))
  lines.push(`API docs: ${server.url}/api/docs`)
  return lines
}

/** `flip-users serve`: run the service until SIGTERM or SIGINT, then shut down gracefully. */
export const runServe: Run<NoOptions> = async () => {
  const config = loadConfig()
  const log = createLogger(config.logLevel)
  const server = await startServer(config, log)
  process.stderr.write(`${(await bannerLines(server)).join('\n')}\n`)

  return new Promise((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down')
      process.once(signal, () => process.exit(130))
      server.close().then(
        () => resolve(exitCodes.ok),
        (error) => {
          log.error({ err: error }, 'shutdown failed')
          resolve(exitCodes.failure)
        },
      )
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
  })
}
