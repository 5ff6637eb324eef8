import PQueue from 'p-queue'

/** Starts calls no faster than a rate, queueing the rest in arrival order. */
export interface RateLimiter {
  /** Runs `fn` when a slot is free; resolves or rejects with its outcome. */
  run<T>(fn: () => Promise<T>): Promise<T>
  /** Roughly how long a call made now would wait for its slot. */
  expectedWaitMs(): number
  /** Calls waiting for their slot now. */
  queued(): number
}

/**
 * Fraction of the configured rate kept free. The provider counts requests as they arrive, after
 * our timers, event loop and network have added a few milliseconds of jitter; without a margin,
 * calls started exactly one interval apart can land inside one of the provider's windows.
 */
export const DEFAULT_HEADROOM = 0.05

/**
 * Spaces call starts evenly: at most one start in any `1000 / perSecond` ms (×(1 + headroom)),
 * hence never more than `perSecond` in any second. p-queue's strict mode keeps a sliding window
 * of *actual* start times and decides when a queued call may start, so a stalled event loop
 * delays later calls instead of bunching them. Even spacing rather than bursts of `perSecond`:
 * a burst's requests leave one by one through the SDK and arrive spread out, which would let the
 * next burst's first request land within one second of the last one.
 *
 * @param perSecond the ceiling, possibly fractional (a process's share of an account quota).
 */
export const createRateLimiter = (perSecond: number, headroom = DEFAULT_HEADROOM): RateLimiter => {
  if (!(perSecond > 0)) throw new RangeError(`rate must be positive, got ${perSecond}`)
  const interval = Math.ceil((1000 / perSecond) * (1 + headroom))
  const queue = new PQueue({ intervalCap: 1, interval, strict: true })
  return {
    run: <T>(fn: () => Promise<T>) => queue.add(fn),
    expectedWaitMs: () => queue.size * interval,
    queued: () => queue.size,
  }
}
