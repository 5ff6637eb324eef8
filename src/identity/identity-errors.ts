/**
 * The one error taxonomy every identity-provider adapter maps its provider's errors onto
 * (SPEC §6). Vendor exception names never leave an adapter's folder; callers branch on `reason`.
 */
export type IdentityErrorReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'InvalidInput'
  | 'Throttled'
  /** 5xx, network failure or timeout: the call did not take effect and may be retried. */
  | 'Unavailable'
  /** The call may have taken effect (a timeout on create, a failed invitation after creation). */
  | 'Ambiguous'
  /** Anything else: definitive. */
  | 'ProviderError'

/** `message` is generic and client-safe: never SDK text, request ids, ARNs or host names. */
export class IdentityProviderError extends Error {
  readonly reason: IdentityErrorReason
  /** For Throttled: how long the provider asked us to wait, when it said. */
  readonly retryAfterMs: number | undefined

  constructor(
    reason: IdentityErrorReason,
    message: string,
    options: { cause?: unknown; retryAfterMs?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'IdentityProviderError'
    this.reason = reason
    this.retryAfterMs = options.retryAfterMs
  }
}

export const isIdentityError = (
  error: unknown,
  reason?: IdentityErrorReason,
): error is IdentityProviderError =>
  error instanceof IdentityProviderError && (reason === undefined || error.reason === reason)
