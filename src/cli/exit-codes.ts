import type { ErrorKind } from '../errors/error-kinds.js'

/** sysexits-style codes, so scripts can tell a bad setup from a busy directory from a failure. */
export const exitCodes = {
  ok: 0,
  /** The command ran and reports a failure of its own (a row that did not register). */
  failure: 1,
  usage: 64,
  dataError: 65,
  noInput: 66,
  unavailable: 69,
  software: 70,
  busy: 75,
  noPermission: 77,
  config: 78,
} as const

/**
 * What went wrong, as the command line tells it apart: every error kind the use cases throw
 * (src/errors/error-kinds.ts), and the situations only a command meets (its arguments, its
 * environment, the database it cannot reach).
 */
export type FailureKind =
  | ErrorKind
  | 'usage'
  | 'portInUse'
  | 'databaseUnreachable'
  | 'databaseMissing'
  | 'busy'
  | 'config'

/**
 * THE table from a kind of failure to the exit code a script sees. Every mapping from an error to
 * an exit code goes through it: a command names the kind, never the code.
 */
export const exitCodeOf = {
  BadRequest: exitCodes.dataError,
  Unprocessable: exitCodes.dataError,
  // An email already registered, a duplicate: the data, not the service, is what to change.
  Conflict: exitCodes.dataError,
  // A record, or an input file, that is not there.
  NotFound: exitCodes.noInput,
  Unauthenticated: exitCodes.noPermission,
  Forbidden: exitCodes.noPermission,
  Throttled: exitCodes.unavailable,
  Transient: exitCodes.unavailable,
  Ambiguous: exitCodes.unavailable,
  // A failure the service does not understand, or reports as its own (FLIP's 500s): a bug to report.
  Internal: exitCodes.software,
  usage: exitCodes.usage,
  portInUse: exitCodes.unavailable,
  databaseUnreachable: exitCodes.unavailable,
  // The server answers but has no such database: nothing to reach, as with a host that is down.
  databaseMissing: exitCodes.unavailable,
  busy: exitCodes.busy,
  config: exitCodes.config,
} as const satisfies Record<FailureKind, number>

/** The exit code after a signal stopped the command (130 for SIGINT, 143 for SIGTERM). */
export const signalExitCode = (signalNumber: number): number => 128 + signalNumber
