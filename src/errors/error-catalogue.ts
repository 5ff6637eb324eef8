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
  'auth.user_disabled': 'Forbidden',
  'request.invalid': 'Unprocessable',
  'request.malformed': 'BadRequest',
  'request.unsupported_media_type': 'BadRequest',
  'request.too_large': 'BadRequest',
  'route.not_found': 'NotFound',
  'roles.invalid': 'BadRequest',
  'roles.trust_admin_only_role': 'BadRequest',
  'roles.trust_admin_needs_trust': 'BadRequest',
  'roles.only_trust_admin_at_trust': 'BadRequest',
  'trust.not_found': 'NotFound',
  'user.not_found': 'NotFound',
  'user.email_exists': 'Conflict',
  'user.invalid_email': 'BadRequest',
  'user.create_failed': 'Internal',
  'user.register_failed': 'Internal',
  'user.register_rollback_failed': 'Internal',
  'user.delete_identity_failed': 'Internal',
  'user.update_failed': 'Internal',
  'user.update_partial': 'Internal',
  'user.last_admin': 'Conflict',
  'user.no_role': 'NotFound',
  'permissions.failed': 'Internal',
  'mfa.required': 'Forbidden',
  'mfa.reset_failed': 'Internal',
  'mfa.reset_partial': 'Internal',
  'access_request.not_found': 'NotFound',
  'access_request.record_failed': 'Internal',
  'access_request.rate_limited': 'Throttled',
  'idp.throttled': 'Throttled',
  'idp.unavailable': 'Transient',
  'idp.ambiguous': 'Ambiguous',
  'idp.invalid_input': 'Unprocessable',
  'idp.failed': 'Internal',
  'database.unavailable': 'Transient',
  'registration.not_found': 'NotFound',
  'registration.in_flight': 'Conflict',
  'registration.settling': 'Conflict',
  'registration.idempotency_mismatch': 'Unprocessable',
  'registration.failed': 'Internal',
  'registration.rolled_back': 'Internal',
  'registration.rollback_failed': 'Internal',
  'registration.not_workable': 'Conflict',
  'registration.not_abandonable': 'Conflict',
  'deletion.not_found': 'NotFound',
  'console.code_invalid': 'Unauthenticated',
  'internal.unexpected': 'Internal',
  'response.undeclared_status': 'Internal',
} as const satisfies Record<string, ErrorKind>

export type ErrorCode = keyof typeof errorCatalogue

/** Builds the error for a catalogued code, so a code's kind is decided in exactly one place. */
export const appError = (code: ErrorCode, detail: string, options?: AppErrorOptions): AppError =>
  new AppError(errorCatalogue[code], code, detail, options)

export const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(errorCatalogue, code)

export const internalError = (cause: unknown): AppError =>
  appError('internal.unexpected', 'Internal server error', { cause })
