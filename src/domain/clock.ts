/** Time as the service sees it; injected so windows, expiries and backoffs are testable. */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }
