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
