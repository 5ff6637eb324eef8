/**
 * Reading PostgreSQL errors without string matching. Drivers and Drizzle wrap the server's
 * error (Drizzle in `DrizzleQueryError.cause`), so every reader walks the cause chain.
 */

interface PgLikeError {
  code?: unknown
  constraint?: unknown
  cause?: unknown
}

const chainOf = (error: unknown): PgLikeError[] => {
  const chain: PgLikeError[] = []
  let current: unknown = error
  while (current !== null && typeof current === 'object' && chain.length < 8) {
    chain.push(current as PgLikeError)
    current = (current as PgLikeError).cause
  }
  return chain
}

/** The five-character SQLSTATE of the first error in the chain that has one. */
export const sqlStateOf = (error: unknown): string | undefined => {
  for (const link of chainOf(error)) {
    if (typeof link.code === 'string' && /^[0-9A-Z]{5}$/.test(link.code)) return link.code
  }
  return undefined
}

/** True when the statement broke the named unique constraint (or any, when no name is given). */
export const isUniqueViolation = (error: unknown, constraint?: string): boolean =>
  chainOf(error).some(
    (link) => link.code === '23505' && (constraint === undefined || link.constraint === constraint),
  )

/** True when the statement referred to a row that does not exist (a foreign key, 23503). */
export const isForeignKeyViolation = (error: unknown): boolean =>
  chainOf(error).some((link) => link.code === '23503')

// Node socket errors: the connection to the server went away or never came up.
const connectionErrnos = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
])

/**
 * Database failures that trying again can cure: connection exceptions (class 08), the server
 * shutting down or restarting (57P01–57P03), serialization failures (40001) and deadlocks
 * (40P01). Everything else (constraint violations, syntax, permissions) is definitive.
 */
export const isTransientDbError = (error: unknown): boolean => {
  for (const link of chainOf(error)) {
    if (typeof link.code !== 'string') continue
    if (connectionErrnos.has(link.code)) return true
    if (/^08[0-9A-Z]{3}$/.test(link.code)) return true
    if (['57P01', '57P02', '57P03', '40001', '40P01'].includes(link.code)) return true
  }
  return false
}

/** The failure classes callers tell apart; `undefined` from {@link dbFailureClassOf} means "not a database error". */
export type DbFailureClass = 'connection' | 'serialization' | 'deadlock' | 'unique_violation' | 'other'

/**
 * Which class of database failure an error is. A transient code anywhere in the chain wins (the
 * same reading as {@link isTransientDbError}), then a unique violation; any other SQLSTATE is
 * `other` (definitive). Errors with neither a SQLSTATE nor a socket errno are not database errors.
 */
export const dbFailureClassOf = (error: unknown): DbFailureClass | undefined => {
  const codes = chainOf(error)
    .map((link) => link.code)
    .filter((code): code is string => typeof code === 'string')
  if (codes.some((code) => code === '40001')) return 'serialization'
  if (codes.some((code) => code === '40P01')) return 'deadlock'
  if (
    codes.some(
      (code) => connectionErrnos.has(code) || /^08[0-9A-Z]{3}$/.test(code) || /^57P0[1-3]$/.test(code),
    )
  )
    return 'connection'
  if (codes.includes('23505')) return 'unique_violation'
  return sqlStateOf(error) === undefined ? undefined : 'other'
}
