import { randomUUID } from 'node:crypto'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Deps } from '../container.js'

/**
 * How an embedded `serve` lets CLI commands reach it while it holds the data directory.
 *
 * An embedded data directory has one owner (src/db/data-dir-lock.ts): while `serve` runs, no
 * other process may open the PGlite database, so a CLI command can neither read registrations
 * nor mint a token itself (the signing key is in that database). Instead `serve` writes
 * `serving.json` into the data directory: its URL, its pid and an access token for the
 * bootstrap admin, valid one hour and re-minted every 20 minutes; the file is removed on a clean
 * shutdown. The CLI, finding the directory locked, reads the file and calls the HTTP API.
 *
 * Why this is sound: the file is created 0600 (owner only) by an atomic rename, inside the data
 * directory, whose PGlite files already hold the signing key: anyone who can read the file could
 * already mint any token, so it grants no authority that the directory did not. The token is an
 * ordinary, short-lived access token checked by the server like any other (permissions, disabled
 * account, MFA gate); no second way in is added to the server. A file left by a crash names a
 * dead server: the lock then goes stale within seconds and the command opens the database itself.
 */
export interface ServingEndpoint {
  url: string
  pid: number
  token: string
  expiresAt: string
}

const FILE = 'serving.json'
const TOKEN_TTL_SECONDS = 3600
const REFRESH_SECONDS = 20 * 60

export const servingEndpointPath = (dataDir: string) => path.join(dataDir, FILE)

const writeEndpoint = async (dataDir: string, endpoint: ServingEndpoint) => {
  const temporary = path.join(dataDir, `.${FILE}.${randomUUID()}`)
  await writeFile(temporary, `${JSON.stringify(endpoint)}\n`, { mode: 0o600 })
  await rename(temporary, servingEndpointPath(dataDir))
}

/**
 * Publishes the running embedded server to CLI commands (see above), when there is a bootstrap
 * admin to mint for: `local` backend, embedded database, FLIP_ADMIN_EMAIL resolved.
 * @returns a function that stops refreshing and removes the file
 */
export const publishServingEndpoint = async (
  deps: Pick<Deps, 'config' | 'database' | 'localTokens' | 'idp' | 'log'>,
  url: string,
): Promise<() => Promise<void>> => {
  const { config, localTokens } = deps
  if (deps.database.kind !== 'pglite' || !localTokens || !config.adminEmail) return async () => {}
  const adminEmail = config.adminEmail
  const publish = async () => {
    const admin = await deps.idp.getUserByEmail(adminEmail)
    const token = await localTokens.issuer.issue(admin, TOKEN_TTL_SECONDS)
    const expiresAt = new Date(Date.now() + TOKEN_TTL_SECONDS * 1000).toISOString()
    await writeEndpoint(config.dataDir, { url, pid: process.pid, token, expiresAt })
  }
  await publish()
  const timer = setInterval(() => {
    publish().catch((error) => deps.log.warn({ err: error }, 'could not refresh serving.json'))
  }, REFRESH_SECONDS * 1000)
  timer.unref()
  return async () => {
    clearInterval(timer)
    await rm(servingEndpointPath(config.dataDir), { force: true })
  }
}

/** The server a locked data directory is held by, if it published itself and its token is valid. */
export const readServingEndpoint = async (dataDir: string): Promise<ServingEndpoint | undefined> => {
  let endpoint: ServingEndpoint
  try {
    endpoint = JSON.parse(await readFile(servingEndpointPath(dataDir), 'utf8')) as ServingEndpoint
  } catch {
    return undefined
  }
  if (typeof endpoint.url !== 'string' || typeof endpoint.token !== 'string') return undefined
  if (!(Date.parse(endpoint.expiresAt) > Date.now())) return undefined
  return endpoint
}
