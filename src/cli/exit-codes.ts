import { ConfigError } from '../config.js'
import { DataDirLockedError } from '../db/data-dir-lock.js'
import { isAppError } from '../errors/app-error.js'
import { isIdentityError } from '../identity/identity-errors.js'

/** sysexits-style codes, so scripts can tell a bad setup from a busy directory from a failure. */
export const exitCodes = {
  ok: 0,
  failure: 1,
  usage: 64,
  dataError: 65,
  notFound: 66,
  unavailable: 69,
  busy: 75,
  config: 78,
} as const

export const exitCodeOf = (error: unknown): number => {
  if (error instanceof ConfigError) return exitCodes.config
  if (error instanceof DataDirLockedError) return exitCodes.busy
  if (isIdentityError(error, 'NotFound') || (isAppError(error) && error.kind === 'NotFound'))
    return exitCodes.notFound
  if (isAppError(error) && error.retryable) return exitCodes.unavailable
  return exitCodes.failure
}
