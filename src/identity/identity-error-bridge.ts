import { type DbFailureClass, dbFailureClassOf } from '../db/pg-errors.js'
import { type AppError, isAppError } from '../errors/app-error.js'
import { appError, type ErrorCode } from '../errors/error-catalogue.js'
import { type IdentityErrorReason, IdentityProviderError } from './identity-errors.js'

/**
 * THE error bridge: the one table from every identity-provider reason and every database failure
 * class to an application error, and to the saga's transient/definitive reading. The HTTP error
 * handler applies it to anything that reaches it unconverted, so a use case catches only to
 * *reclassify* (NotFound on a read → `user.not_found`), passing overrides by reason.
 *
 * It imports `db/pg-errors.ts`, a pure classifier with no I/O, and nothing from `features/` or
 * `http/`.
 */

/** Database failure classes, prefixed so they read apart from the port's reasons. */
export type DbFailureReason =
  | 'DbConnection'
  | 'DbSerialization'
  | 'DbDeadlock'
  | 'DbUniqueViolation'
  | 'DbOther'

/** Every row of the table: the port's reasons, the database classes, and anything else. */
export type FailureReason = IdentityErrorReason | DbFailureReason | 'Unknown'

export interface BridgeRow {
  code: ErrorCode
  /** Client-safe. A function only where the text is the provider's own client-safe message. */
  detail: string | ((error: Error) => string)
  /**
   * The saga's question: may the same step succeed if tried again? (An AppError's `retryable`
   * answers the HTTP side; this answers for the raw failure before it is converted.)
   */
  transient: boolean
}

const internal = { code: 'internal.unexpected', detail: 'Internal server error' } as const
const databaseUnavailable = {
  code: 'database.unavailable',
  detail: 'The database is unavailable; please try again.',
  transient: true,
} as const

/**
 * The table. Rows on `internal.unexpected` are the definitive ones a use case may give its FLIP
 * detail for (an override by reason, or `otherwise` for all of them at once).
 */
export const identityErrorBridge: Readonly<Record<FailureReason, BridgeRow>> = {
  // Transient only in the saga's reading: it reads a user it created moments ago, and Cognito's
  // ListUsers lags behind AdminCreateUser. A read use case reclassifies it to `user.not_found`.
  NotFound: { ...internal, transient: true },
  // A create overrides it with `user.email_exists`; anywhere else it is not the caller's doing.
  AlreadyExists: { ...internal, transient: false },
  // The provider refused what the caller sent (its message is client-safe by contract): the
  // caller's to fix, on a read as on a write, never a 500.
  InvalidInput: { code: 'idp.invalid_input', detail: (error) => error.message, transient: false },
  Throttled: {
    code: 'idp.throttled',
    detail: 'The identity provider is throttling requests; please retry later.',
    transient: true,
  },
  Unavailable: {
    code: 'idp.unavailable',
    detail: 'The identity provider is unavailable; please try again.',
    transient: true,
  },
  // The change may have taken effect: retrying (or re-reading) tells, undoing could be wrong.
  Ambiguous: {
    code: 'idp.ambiguous',
    detail: 'The identity provider did not confirm the change; please verify and retry.',
    transient: true,
  },
  ProviderError: { ...internal, transient: false },
  // Connection loss, server shutdown or restart (08xxx, 57P01–57P03, socket errors).
  DbConnection: databaseUnavailable,
  // 40001 and 40P01: the transaction lost a race and can simply be run again. FLIP counts these
  // as definitive and deletes a valid user; we do not.
  DbSerialization: databaseUnavailable,
  DbDeadlock: databaseUnavailable,
  // A use case that expects a conflict names its constraint and reclassifies; unexpected here.
  DbUniqueViolation: { ...internal, transient: false },
  DbOther: { ...internal, transient: false },
  Unknown: { ...internal, transient: false },
}

const dbReasons: Record<DbFailureClass, DbFailureReason> = {
  connection: 'DbConnection',
  serialization: 'DbSerialization',
  deadlock: 'DbDeadlock',
  unique_violation: 'DbUniqueViolation',
  other: 'DbOther',
}

/** The table row an error falls under. */
export const failureReasonOf = (error: unknown): FailureReason => {
  if (error instanceof IdentityProviderError) return error.reason
  const dbClass = dbFailureClassOf(error)
  return dbClass === undefined ? 'Unknown' : dbReasons[dbClass]
}

/** A use case's FLIP-specific rows, by reason; `otherwise` replaces every `internal.unexpected` row. */
export type BridgeOverrides = Partial<Record<FailureReason | 'otherwise', Omit<BridgeRow, 'transient'>>>

const rowFor = (reason: FailureReason, overrides: BridgeOverrides): Omit<BridgeRow, 'transient'> => {
  const row = identityErrorBridge[reason]
  return overrides[reason] ?? (row.code === internal.code ? overrides.otherwise : undefined) ?? row
}

/** Retry-After in whole seconds: the provider's own delay when it gave one, else one second. */
const retryAfterSecondsOf = (error: unknown): number | undefined =>
  error instanceof IdentityProviderError && error.reason === 'Throttled'
    ? Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000))
    : undefined

/**
 * The application error for any failure. An AppError passes through unchanged (it was converted
 * or reclassified already); everything else takes its row, or the use case's override for it.
 * The original is kept as `cause` (logged, never serialised).
 */
export const toAppError = (error: unknown, overrides: BridgeOverrides = {}): AppError => {
  if (isAppError(error)) return error
  const { code, detail } = rowFor(failureReasonOf(error), overrides)
  const text =
    typeof detail === 'string' ? detail : detail(error instanceof Error ? error : new Error(String(error)))
  const retryAfterSeconds = retryAfterSecondsOf(error)
  return appError(code, text, {
    cause: error,
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  })
}

/**
 * Transient: the same step may succeed if tried again, so a saga keeps what it made and retries
 * in the background. Definitive: trying again cannot help. An AppError answers by `retryable`.
 */
export const isTransient = (error: unknown): boolean =>
  isAppError(error) ? error.retryable : identityErrorBridge[failureReasonOf(error)].transient

/** A short, client-safe description of a failure for a registration's record and events. */
export const describeFailure = (error: unknown): string => {
  if (error instanceof IdentityProviderError) return `identity provider: ${error.reason}: ${error.message}`
  if (isAppError(error)) return error.detail
  return isTransient(error) ? 'database temporarily unavailable' : 'unexpected error'
}

/** {@link describeFailure}, under the short name the saga asked for. */
export const describe = describeFailure
