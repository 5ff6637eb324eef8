import { DataDirLockedError } from '../../db/data-dir-lock.js'
import { isWorkable, type RegistrationKind, type RegistrationState } from '../../domain/registration-state.js'
import { appError, isErrorCode } from '../../errors/error-catalogue.js'
import { exitCodes } from '../exit-codes.js'
import { CliFailure } from '../failures.js'
import { readServingEndpoint, type ServingEndpoint } from '../serving-endpoint.js'

/**
 * Runs `local` (the command on its own container); when that finds the embedded data directory
 * held by a live `serve` that published itself (src/cli/serving-endpoint.ts), runs `remote`
 * against that server's HTTP API instead of refusing. Anything else fails as before.
 */
export const orViaServer = async (
  local: () => Promise<number>,
  remote: (server: ServingEndpoint) => Promise<number>,
): Promise<number> => {
  try {
    return await local()
  } catch (error) {
    const locked =
      error instanceof CliFailure && error.cause instanceof DataDirLockedError ? error.cause : undefined
    const server = locked && (await readServingEndpoint(locked.dataDir))
    if (!server) throw error
    return remote(server)
  }
}

/**
 * One call to the server as its bootstrap admin. A problem answer with a catalogued code comes
 * back as that AppError, so the command reports it exactly as when it runs on the database.
 */
export const callServer = async (
  server: ServingEndpoint,
  method: 'GET' | 'POST',
  pathAndQuery: string,
): Promise<unknown> => {
  let response: Response
  try {
    response = await fetch(new URL(pathAndQuery, server.url), {
      method,
      headers: { authorization: `Bearer ${server.token}` },
    })
  } catch (error) {
    throw new CliFailure(
      'Transient',
      `the server at ${server.url} (pid ${server.pid}) holds the data directory but did not answer`,
      'check that flip-users serve is running, or stop it and run this again',
      { cause: error },
    )
  }
  const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined
  if (response.ok) return body
  const code = typeof body?.code === 'string' ? body.code : ''
  const detail = typeof body?.detail === 'string' ? body.detail : `HTTP ${response.status}`
  if (isErrorCode(code)) throw appError(code, detail, { extensions: body ?? {} })
  throw new CliFailure(
    'Internal',
    `the server at ${server.url} answered ${response.status}: ${detail}`,
    'look at its log',
  )
}

/** A row of `GET /api/step/users`, as `registrations list` prints it (the CLI's own fields). */
interface RegistrationRow {
  registration_id: string
  kind: RegistrationKind
  state: RegistrationState
  email: string
  user_id: string | null
  attempts: number
  compensation_attempts: number
  created_at: string
  updated_at: string
}

/** `registrations list` over HTTP: the same rows, newest first, as on the database. */
export const listViaServer = async (
  server: ServingEndpoint,
  options: { state?: RegistrationState; limit: number },
) => {
  // Page by page (the API serves at most 500 a page) until the limit or the last page.
  const rows: RegistrationRow[] = []
  const pageSize = Math.min(options.limit, 500)
  for (let pageNumber = 1; rows.length < options.limit; pageNumber++) {
    const query = new URLSearchParams({ pageSize: String(pageSize), pageNumber: String(pageNumber) })
    if (options.state) query.set('state', options.state)
    const page = (await callServer(server, 'GET', `/api/step/users?${query}`)) as {
      data: RegistrationRow[]
      totalPages: number
    }
    rows.push(...page.data)
    if (pageNumber >= page.totalPages) break
  }
  return rows.slice(0, options.limit).map((row) => ({
    registration_id: row.registration_id,
    kind: row.kind,
    state: row.state,
    email: row.email,
    user_id: row.user_id,
    attempts: row.attempts,
    compensation_attempts: row.compensation_attempts,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }))
}

/** `registrations show ID` over HTTP: the same JSON as on the database. */
export const showViaServer = (server: ServingEndpoint, id: string) =>
  callServer(server, 'GET', `/api/step/users/${encodeURIComponent(id)}`)

interface RemoteOutcome {
  registration: { registration_id: string; state: RegistrationState; last_error: string | null }
  advanced: boolean
  queued: boolean
}

/** `registrations retry|abandon ID` over HTTP: the server does it (audited as the bootstrap admin). */
export const operateViaServer = async (
  server: ServingEndpoint,
  verb: 'retry' | 'abandon',
  id: string,
): Promise<number> => {
  const { registration, advanced, queued } = (await callServer(
    server,
    'POST',
    `/api/step/users/${encodeURIComponent(id)}/${verb}`,
  )) as RemoteOutcome
  const { state } = registration
  const lines = [
    `Registration ${registration.registration_id} is now ${state} (done by the server at ${server.url}).`,
  ]
  if (!advanced && isWorkable(state))
    lines.push('Another process is working on it; it will carry on from there.')
  if (registration.last_error && (isWorkable(state) || state === 'needs_attention'))
    lines.push(`Last error: ${registration.last_error}`)
  if (isWorkable(state) && advanced)
    lines.push(
      queued
        ? 'It will be finished in the background (queued now).'
        : 'It will be finished in the background.',
    )
  if (state === 'needs_attention')
    lines.push('It still needs attention: fix the cause above, then retry or abandon it again.')
  process.stdout.write(`${lines.join('\n')}\n`)
  return state === 'needs_attention' ? exitCodes.failure : exitCodes.ok
}
