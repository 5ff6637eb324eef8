import { AppError, type AppErrorOptions } from './app-error.js'
import type { ErrorKind } from './error-kinds.js'

/**
 * Every error code the service emits, with its kind. `docs/errors.md` lists the same codes; a
 * guard test keeps the two in step. Details are FLIP's exact strings where FLIP has one.
 */
export const errorCatalogue = {
  'auth.invalid_token': 'Unauthenticated',
  'auth.token_expired': 'Unauthenticated',
  'auth.missing_subject': 'Unauthenticated',
  'auth.invalid_subject': 'Unauthenticated',
  'auth.missing_username': 'Unauthenticated',
  'auth.verifier_failed': 'Internal',
  'auth.forbidden': 'Forbidden',
  'request.invalid': 'Unprocessable',
  'request.malformed': 'BadRequest',
  'request.unsupported_media_type': 'BadRequest',
  'request.too_large': 'BadRequest',
  'route.not_found': 'NotFound',
  'internal.unexpected': 'Internal',
} as const satisfies Record<string, ErrorKind>

export type ErrorCode = keyof typeof errorCatalogue

/** Builds the error for a catalogued code, so a code's kind is decided in exactly one place. */
export const appError = (code: ErrorCode, detail: string, options?: AppErrorOptions): AppError =>
  new AppError(errorCatalogue[code], code, detail, options)

export const internalError = (cause: unknown): AppError =>
  appError('internal.unexpected', 'Internal server error', { cause })
