/** How a throttled call backs off before its next attempt. */
export interface BackoffPolicy {
  /** The ceiling of the first retry's delay; each further retry doubles it. */
  baseDelayMs: number
  /** No retry waits longer than this (unless the provider itself asked for longer). */
  maxDelayMs: number
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseDelayMs: 100, maxDelayMs: 5_000 }

/**
 * The delay before retry number `attempt` (0 for the first retry): exponential growth with
 * "equal jitter" — half the step is certain, the other half random — so callers throttled
 * together spread out, yet none retries immediately. A provider's own Retry-After is a floor.
 *
 * @param random a number in [0, 1); injectable so tests can pin it.
 */
export const backoffDelayMs = (
  attempt: number,
  policy: BackoffPolicy,
  random: () => number,
  providerRetryAfterMs?: number,
): number => {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt))
  const jittered = Math.round(step / 2 + random() * (step / 2))
  return Math.max(jittered, providerRetryAfterMs ?? 0)
}
