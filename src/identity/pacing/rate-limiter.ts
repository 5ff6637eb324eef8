import pThrottle from 'p-throttle'

/** Starts calls no faster than a rate, queueing the rest in arrival order. */
export interface RateLimiter {
  /** Runs `fn` when a slot is free; resolves or rejects with its outcome. */
  run<T>(fn: () => Promise<T>): Promise<T>
  /** Roughly how long a call made now would wait for its slot. */
  expectedWaitMs(): number
}

/**
 * Fraction of the configured rate kept free. The provider counts requests as they arrive, after
 * our timers, event loop and network have added a few milliseconds of jitter; without a margin,
 * calls released exactly one interval apart can land inside one of the provider's windows.
 */
export const DEFAULT_HEADROOM = 0.05

/**
 * A sliding-window limiter (p-throttle's strict mode: no interval of the window's length ever
 * holds more than `limit` starts), shared by everyone holding this instance.
 *
 * @param perSecond the ceiling, possibly fractional (a process's share of an account quota).
 */
export const createRateLimiter = (perSecond: number, headroom = DEFAULT_HEADROOM): RateLimiter => {
  if (!(perSecond > 0)) throw new RangeError(`rate must be positive, got ${perSecond}`)
  // p-throttle counts whole calls per interval, so a fractional rate becomes a longer interval.
  const limit = Math.max(1, Math.floor(perSecond))
  const interval = Math.ceil(((1000 * limit) / perSecond) * (1 + headroom))
  const throttled = pThrottle({ limit, interval, strict: true })((fn: () => Promise<unknown>) => fn())
  return {
    run: <T>(fn: () => Promise<T>) => throttled(fn) as Promise<T>,
    expectedWaitMs: () => Math.ceil((throttled.queueSize * interval) / limit),
  }
}
