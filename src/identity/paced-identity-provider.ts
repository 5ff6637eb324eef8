import { setTimeout as sleepFor } from 'node:timers/promises'
import { IdentityProviderError, isIdentityError } from './identity-errors.js'
import type { IdentityProvider } from './identity-provider.js'
import { type BackoffPolicy, backoffDelayMs, DEFAULT_BACKOFF } from './pacing/backoff.js'
import { createRateLimiter, DEFAULT_HEADROOM, type RateLimiter } from './pacing/rate-limiter.js'

/** The port's calls that reach the provider. */
export type PacedMethod = Exclude<keyof IdentityProvider, 'backend'>

export interface PacingOptions<Category extends string> {
  /** Which quota each call draws on; it depends on which provider operation the adapter makes. */
  categories: Readonly<Record<PacedMethod, Category>>
  /** Calls per second for this process, per category. */
  rates: Readonly<Record<Category, number>>
  /** Retries of a throttled call before the caller is told to come back later (default 3). */
  maxRetries?: number
  backoff?: BackoffPolicy
  /** A call that would wait longer than this for its slot is refused as Throttled (default 10 s). */
  maxQueueMs?: number
  /** Fraction of each rate kept free for network jitter (default 5 %). */
  headroom?: number
  random?: () => number
  sleep?: (ms: number) => Promise<unknown>
  /** Told of every throttling answer from the provider (a metric), retried or not. */
  onThrottled?: (category: Category) => void
}

/** A paced provider also tells how many calls wait for a slot, per category (a metric). */
export interface PacedIdentityProvider<Category extends string> extends IdentityProvider {
  queueDepth(): Record<Category, number>
}

const busy = 'The identity provider is busy; try again later'

/**
 * Wraps any identity provider so its calls respect per-category rate limits shared by every
 * caller holding the returned instance (the container builds one per process), and retries a
 * Throttled call with exponential backoff and jitter. Retries take a fresh slot from the
 * limiter, so they never push the request rate above the configured one.
 *
 * Errors are the inner provider's, unchanged, except Throttled: it is thrown only once retries
 * are exhausted, or at once when the queue for a slot is longer than `maxQueueMs`, and it then
 * carries `retryAfterMs`, the time the caller should wait.
 */
export const createPacedIdentityProvider = <Category extends string>(
  inner: IdentityProvider,
  options: PacingOptions<Category>,
): PacedIdentityProvider<Category> => {
  const maxRetries = options.maxRetries ?? 3
  const backoff = options.backoff ?? DEFAULT_BACKOFF
  const maxQueueMs = options.maxQueueMs ?? 10_000
  const random = options.random ?? Math.random
  const sleep = options.sleep ?? sleepFor
  const limiters = new Map<Category, RateLimiter>()
  for (const category of Object.keys(options.rates) as Category[]) {
    limiters.set(category, createRateLimiter(options.rates[category], options.headroom ?? DEFAULT_HEADROOM))
  }

  const paced = async <T>(method: PacedMethod, fn: () => Promise<T>): Promise<T> => {
    const category = options.categories[method]
    const limiter = limiters.get(category)
    if (!limiter) throw new RangeError(`no rate configured for category ${category}`)
    for (let attempt = 0; ; attempt += 1) {
      const waitMs = limiter.expectedWaitMs()
      if (waitMs > maxQueueMs) throw new IdentityProviderError('Throttled', busy, { retryAfterMs: waitMs })
      try {
        return await limiter.run(fn)
      } catch (error) {
        if (!isIdentityError(error, 'Throttled')) throw error
        options.onThrottled?.(category)
        const delayMs = backoffDelayMs(attempt, backoff, random, error.retryAfterMs)
        if (attempt >= maxRetries) {
          throw new IdentityProviderError('Throttled', error.message, { cause: error, retryAfterMs: delayMs })
        }
        await sleep(delayMs)
      }
    }
  }

  return {
    backend: inner.backend,
    queueDepth: () =>
      Object.fromEntries([...limiters].map(([category, limiter]) => [category, limiter.queued()])) as Record<
        Category,
        number
      >,
    createUser: (email, createOptions) => paced('createUser', () => inner.createUser(email, createOptions)),
    getUserById: (id) => paced('getUserById', () => inner.getUserById(id)),
    getUserByEmail: (email) => paced('getUserByEmail', () => inner.getUserByEmail(email)),
    deleteUser: (username) => paced('deleteUser', () => inner.deleteUser(username)),
    setEnabled: (username, enabled) => paced('setEnabled', () => inner.setEnabled(username, enabled)),
    listUsers: (listOptions) => paced('listUsers', () => inner.listUsers(listOptions)),
    isEnabled: (username) => paced('isEnabled', () => inner.isEnabled(username)),
    signOut: (username) => paced('signOut', () => inner.signOut(username)),
    isMfaEnabled: (username) => paced('isMfaEnabled', () => inner.isMfaEnabled(username)),
    resetMfa: (username) => paced('resetMfa', () => inner.resetMfa(username)),
  }
}
