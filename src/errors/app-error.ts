import type { ErrorKind } from './error-kinds.js'

export interface AppErrorOptions {
  /** The original error: logged, never serialised. */
  cause?: unknown
  /** Extra problem+json members (e.g. `registrationId`), already client-safe. */
  extensions?: Record<string, unknown>
  /** Seconds the caller should wait before retrying (Throttled). */
  retryAfterSeconds?: number
  /** Headers the response must carry (e.g. `Location`). */
  headers?: Record<string, string>
}

/**
 * A failure the service understands. `detail` is client-facing and FLIP-compatible: it never
 * contains provider text, SQL or stack traces. `retryable` tells jobs and sagas whether trying
 * the same thing again can succeed.
 */
export class AppError extends Error {
  readonly kind: ErrorKind
  readonly code: string
  readonly detail: string
  readonly retryable: boolean
  readonly extensions: Record<string, unknown>
  readonly retryAfterSeconds: number | undefined
  readonly headers: Record<string, string>

  constructor(kind: ErrorKind, code: string, detail: string, options: AppErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AppError'
    this.kind = kind
    this.code = code
    this.detail = detail
    this.retryable = kind === 'Throttled' || kind === 'Transient' || kind === 'Ambiguous'
    this.extensions = options.extensions ?? {}
    this.retryAfterSeconds = options.retryAfterSeconds
    this.headers = options.headers ?? {}
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError
