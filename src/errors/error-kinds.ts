/**
 * The kinds of failure the service distinguishes. Use cases, saga steps and adapters speak in
 * kinds; only `http/error-handler.ts` turns a kind into a status (via `errors/http-status.ts`),
 * and only the CLI turns one into an exit code.
 */
export type ErrorKind =
  | 'BadRequest'
  | 'Unprocessable'
  | 'Unauthenticated'
  | 'Forbidden'
  | 'NotFound'
  | 'Conflict'
  | 'Throttled'
  | 'Transient'
  | 'Ambiguous'
  | 'Internal'
