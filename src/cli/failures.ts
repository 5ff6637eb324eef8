import { ConfigError } from '../config.js'
import { DataDirLockedError } from '../db/data-dir-lock.js'
import { isTransientDbError, sqlStateOf } from '../db/pg-errors.js'
import { isAppError } from '../errors/app-error.js'
import type { ErrorKind } from '../errors/error-kinds.js'
import { isIdentityError } from '../identity/identity-errors.js'
import { UsageError } from './command-table.js'
import type { FailureKind } from './exit-codes.js'

/** A failure as the operator reads it: `flip-users <command>: <what happened> — <what to do>`. */
export interface Failure {
  kind: FailureKind
  what: string
  todo: string
}

/** A failure a command recognises itself (a missing input file, a disabled account). */
export class CliFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly todo: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'CliFailure'
  }
}

/** Where the failure happened, for its message: the database named by DATABASE_URL, if any. */
export interface FailureContext {
  command: string
  databaseUrl?: string | undefined
}

interface ErrnoLike {
  code?: unknown
  errno?: unknown
  address?: unknown
  port?: unknown
  syscall?: unknown
  errors?: unknown
  cause?: unknown
}

/** The errno-style code (`ECONNREFUSED`, `EADDRINUSE`) of the first error in the chain with one. */
const errnoOf = (error: unknown): ErrnoLike | undefined => {
  let current: unknown = error
  for (let depth = 0; current !== null && typeof current === 'object' && depth < 8; depth++) {
    const link = current as ErrnoLike
    if (typeof link.code === 'string' && /^E[A-Z_]+$/.test(link.code)) return link
    // Node's happy-eyeballs connect reports every address it tried in an AggregateError.
    if (Array.isArray(link.errors) && link.errors.length > 0) return errnoOf(link.errors[0])
    current = link.cause
  }
  return undefined
}

// A connection that never came up, however the driver wraps it (an AggregateError from Node's
// happy-eyeballs connect carries one per address tried).
const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])

/** `host:port/name` of a PostgreSQL URL, never its password. */
const databaseLocation = (url: string | undefined): string => {
  if (!url) return 'the database'
  try {
    const parsed = new URL(url)
    return `the database at ${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`
  } catch {
    return 'the database'
  }
}

const hostOf = (url: string | undefined): string => {
  try {
    const parsed = url ? new URL(url) : undefined
    return parsed ? `${parsed.hostname}:${parsed.port || '5432'}` : 'the server'
  } catch {
    return 'the server'
  }
}

const databaseNameOf = (url: string | undefined): string => {
  try {
    return url ? decodeURIComponent(new URL(url).pathname.slice(1)) || 'NAME' : 'NAME'
  } catch {
    return 'NAME'
  }
}

/** What to do about a use case's error, by its kind (its exit code is `exitCodeOf[kind]`). */
const todoByKind: Record<ErrorKind, string> = {
  BadRequest: 'fix the input and run again',
  Unprocessable: 'fix the input and run again',
  Conflict: 'check what already exists, then fix the input',
  NotFound: 'check the name or id',
  Unauthenticated: 'check the credentials',
  Forbidden: 'check the account and its permissions',
  Throttled: 'try again in a moment; nothing was lost',
  Transient: 'try again in a moment; nothing was lost',
  Ambiguous: 'try again in a moment; nothing was lost',
  Internal: 'run again with LOG_LEVEL=debug to see the cause in the log, and report it',
}

const programName = (command: string): string => (command ? `flip-users ${command}` : 'flip-users')

const firstLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0]!.replace(/\.$/, '')

/**
 * Turns what a command threw into the one line the operator reads and the kind that picks the
 * exit code (`exitCodeOf`). A use case's AppError keeps its own kind; unknown errors are
 * `Internal` (exit 70): a bug to report.
 */
export const describeFailure = (error: unknown, context: FailureContext): Failure => {
  const help = `run "${programName(context.command)} --help" for usage`
  if (error instanceof UsageError) return { kind: 'usage', what: error.message, todo: help }
  if (error instanceof CliFailure) return { kind: error.kind, what: error.message, todo: error.todo }
  if (error instanceof ConfigError) {
    return {
      kind: 'config',
      what: `invalid configuration: ${error.problems.join('; ')}`,
      todo: 'fix those environment variables (README, "Configuration")',
    }
  }
  if (error instanceof DataDirLockedError) {
    return {
      kind: 'busy',
      what: `the data directory ${error.dataDir} is in use by another flip-users process`,
      todo: 'stop that process first (a crashed one releases it within 10 s)',
    }
  }
  const sqlState = sqlStateOf(error)
  const where = databaseLocation(context.databaseUrl)
  // Class 28: invalid authorization (28P01 wrong password, 28000 no pg_hba entry for us).
  if (sqlState === '28P01' || sqlState === '28000') {
    return {
      kind: 'Unauthenticated',
      what: `${where} refused our credentials (${firstLine(error)})`,
      todo: 'check the user and password in DATABASE_URL',
    }
  }
  if (sqlState === '3D000') {
    return {
      kind: 'databaseMissing',
      what: `there is no database "${databaseNameOf(context.databaseUrl)}" on ${hostOf(context.databaseUrl)}`,
      todo: `create it (createdb ${databaseNameOf(context.databaseUrl)}) or fix the name in DATABASE_URL`,
    }
  }
  const errno = errnoOf(error)
  if (errno?.code === 'EADDRINUSE') {
    const port = typeof errno.port === 'number' ? errno.port : undefined
    const address = typeof errno.address === 'string' ? errno.address : undefined
    return {
      kind: 'portInUse',
      what: `port ${port ?? '?'}${address ? ` on ${address}` : ''} is already in use`,
      todo: 'stop the process that holds it, or set PORT to a free port (PORT=0 picks one)',
    }
  }
  const unreachable =
    isTransientDbError(error) || (typeof errno?.code === 'string' && connectionCodes.has(errno.code))
  if (context.databaseUrl !== undefined && unreachable) {
    return {
      kind: 'databaseUnreachable',
      what: `cannot reach ${where} (${typeof errno?.code === 'string' ? errno.code : firstLine(error)})`,
      todo: 'check that PostgreSQL is running and DATABASE_URL names the right host and port',
    }
  }
  if (isAppError(error) && error.code !== 'internal.unexpected')
    return { kind: error.kind, what: firstLine(error), todo: todoByKind[error.kind] }
  if (isIdentityError(error, 'NotFound'))
    return { kind: 'NotFound', what: firstLine(error), todo: todoByKind.NotFound }
  if (isIdentityError(error, 'Unavailable') || isIdentityError(error, 'Throttled')) {
    const kind = isIdentityError(error, 'Throttled') ? 'Throttled' : 'Transient'
    return { kind, what: firstLine(error), todo: todoByKind[kind] }
  }
  return {
    kind: 'Internal',
    what: `unexpected error: ${firstLine(error)}`,
    todo: 'this is a bug: run again with LOG_LEVEL=debug to print the stack, and report it',
  }
}

/** The one line for a failure, without a trailing newline. */
export const failureLine = (command: string, failure: Failure): string =>
  `${programName(command)}: ${failure.what} — ${failure.todo}`
