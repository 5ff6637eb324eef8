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

/** What went wrong, as the command line tells it apart. */
export type FailureKind =
  | 'usage'
  | 'invalidData'
  | 'inputMissing'
  | 'notFound'
  | 'portInUse'
  | 'databaseUnreachable'
  | 'databaseMissing'
  | 'serviceUnavailable'
  | 'authenticationFailed'
  | 'accountDisabled'
  | 'busy'
  | 'config'
  | 'unexpected'

/** THE table from a kind of failure to the exit code a script sees. */
export const exitCodeByFailure = {
  usage: exitCodes.usage,
  invalidData: exitCodes.dataError,
  inputMissing: exitCodes.noInput,
  notFound: exitCodes.noInput,
  portInUse: exitCodes.unavailable,
  databaseUnreachable: exitCodes.unavailable,
  // The server answers but has no such database: nothing to reach, as with a host that is down.
  databaseMissing: exitCodes.unavailable,
  serviceUnavailable: exitCodes.unavailable,
  authenticationFailed: exitCodes.noPermission,
  accountDisabled: exitCodes.noPermission,
  busy: exitCodes.busy,
  config: exitCodes.config,
  unexpected: exitCodes.software,
} as const satisfies Record<FailureKind, number>

/** The exit code after a signal stopped the command (130 for SIGINT, 143 for SIGTERM). */
export const signalExitCode = (signalNumber: number): number => 128 + signalNumber
