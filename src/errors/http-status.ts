import type { ErrorKind } from './error-kinds.js'

/** THE table from error kind to HTTP status. Nothing else in the codebase chooses a status. */
export const httpStatusOf: Record<ErrorKind, number> = {
  BadRequest: 400,
  Unauthenticated: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  Unprocessable: 422,
  Throttled: 429,
  Internal: 500,
  Transient: 503,
  Ambiguous: 503,
}

export const titleOf: Record<ErrorKind, string> = {
  BadRequest: 'Bad Request',
  Unauthenticated: 'Unauthorized',
  Forbidden: 'Forbidden',
  NotFound: 'Not Found',
  Conflict: 'Conflict',
  Unprocessable: 'Unprocessable Content',
  Throttled: 'Too Many Requests',
  Internal: 'Internal Server Error',
  Transient: 'Service Unavailable',
  Ambiguous: 'Service Unavailable',
}
