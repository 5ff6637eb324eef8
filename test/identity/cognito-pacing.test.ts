import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { COGNITO_QUOTA_OF } from '../../src/identity/cognito/cognito-config.js'
import { createCognitoIdentityProvider } from '../../src/identity/cognito/cognito-identity-provider.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import type { IdentityProvider, IdentityUser } from '../../src/identity/identity-provider.js'
import {
  createPacedIdentityProvider,
  type PacingOptions,
} from '../../src/identity/paced-identity-provider.js'
import {
  type AwsFaultProxy,
  busiestWindow,
  type ProxiedRequest,
  startAwsFaultProxy,
} from '../support/aws-fault-proxy.js'
import { useCognitoLocal } from '../support/cognito-local.js'

/**
 * Pacing measured where the provider would measure it: on the proxy's own arrival timestamps.
 * Rates are kept small so a burst spans a few seconds; nothing here asserts durations.
 */
const READ_RATE = 10
const WINDOW_MS = 1000

const report = (label: string, requests: ProxiedRequest[]) => {
  if (!process.env.PRINT_PACING || requests.length < 2) return
  const span = (requests.at(-1)!.at - requests[0]!.at) / 1000
  const rate = ((requests.length - 1) / span).toFixed(2)
  const times = requests.map((request) => request.at).sort((a, b) => a - b)
  const gaps = times.slice(READ_RATE).map((t, i) => t - times[i]!)
  const tightest = gaps.length > 0 ? Math.min(...gaps).toFixed(1) : 'n/a'
  console.info(
    `${label}: ${requests.length} requests, busiest 1 s window ${busiestWindow(requests)}, mean ${rate}/s, ` +
      `tightest span of ${READ_RATE + 1} requests ${tightest} ms`,
  )
}

const settle = <T>(promises: Promise<T>[]) =>
  Promise.allSettled(promises).then((results) =>
    results.map((result) =>
      result.status === 'fulfilled' ? 'ok' : (result.reason as IdentityProviderError),
    ),
  )

describe('paced cognito adapter', () => {
  const emulator = useCognitoLocal()
  let proxy: AwsFaultProxy
  let user: IdentityUser

  const paced = (options: Partial<PacingOptions<string>> = {}): IdentityProvider =>
    createPacedIdentityProvider(createCognitoIdentityProvider(emulator().config(undefined, proxy.url)), {
      categories: COGNITO_QUOTA_OF,
      rates: { create: 50, list: 30, read: READ_RATE, write: 25 },
      backoff: { baseDelayMs: 50, maxDelayMs: 400 },
      ...options,
    })

  const reads = () => proxy.requests.filter((request) => request.operation === 'AdminGetUser')

  beforeAll(async () => {
    proxy = await startAwsFaultProxy(emulator().endpoint)
    user = await createCognitoIdentityProvider(emulator().config()).createUser(
      `paced.${randomUUID().slice(0, 8)}@example.org`,
      { suppressInvite: true },
    )
  })
  afterAll(async () => proxy.close())
  beforeEach(async () => {
    await proxy.idle()
    proxy.reset()
  })

  it('keeps a burst of callers at or below the configured rate, so a quota at that rate never throttles', async () => {
    proxy.throttleAbove('AdminGetUser', READ_RATE, WINDOW_MS)
    const idp = paced()
    const outcomes = await settle(Array.from({ length: 35 }, () => idp.getUserByEmail(user.email)))
    report('burst of 35 reads at 10/s', reads())
    expect(outcomes.every((outcome) => outcome === 'ok')).toBe(true)
    // One request per call, except that a read whose connection failed under it (seen once in a
    // full suite on a loaded machine) is retried through the limiter like any unavailable one;
    // what must never happen is a throttled answer or a window above the rate.
    expect(reads().length).toBeGreaterThanOrEqual(35)
    expect(reads().length).toBeLessThanOrEqual(37)
    expect(busiestWindow(reads())).toBeLessThanOrEqual(READ_RATE)
    expect(reads().filter((request) => request.outcome !== 'forwarded')).toEqual([])
  })

  it('retries through the limiter when the quota is below ours: the rate still never exceeds the configured one', async () => {
    proxy.throttleAbove('AdminGetUser', READ_RATE / 2, WINDOW_MS)
    const idp = paced({ maxRetries: 6 })
    const outcomes = await settle(Array.from({ length: 20 }, () => idp.getUserByEmail(user.email)))
    report('20 reads at 10/s against a 5/s quota', reads())
    const throttledAnswers = reads().filter((request) => request.outcome === 'throttled-by-rate')
    expect(throttledAnswers.length).toBeGreaterThan(0)
    expect(busiestWindow(reads())).toBeLessThanOrEqual(READ_RATE)
    // Each request is either a success or a throttled answer that the pacer itself retried.
    const succeeded = outcomes.filter((outcome) => outcome === 'ok').length
    expect(reads().length - throttledAnswers.length).toBe(succeeded)
    for (const outcome of outcomes) {
      if (outcome !== 'ok') {
        expect(outcome.reason).toBe('Throttled')
        expect(outcome.retryAfterMs).toBeGreaterThan(0)
      }
    }
  })

  it('retries a throttled call once and succeeds, with exactly two requests (the SDK adds none)', async () => {
    proxy.fail('AdminGetUser', { kind: 'throttle' }, { times: 1 })
    await expect(paced().getUserByEmail(user.email)).resolves.toMatchObject({ id: user.id })
    expect(reads().map((request) => request.outcome)).toEqual(['throttle', 'forwarded'])
  })

  it('gives up after maxRetries throttled answers and tells the caller how long to wait', async () => {
    proxy.fail('AdminGetUser', { kind: 'throttle' })
    const [outcome] = await settle([paced({ maxRetries: 2 }).getUserByEmail(user.email)])
    expect(outcome).toBeInstanceOf(IdentityProviderError)
    expect((outcome as IdentityProviderError).reason).toBe('Throttled')
    expect((outcome as IdentityProviderError).retryAfterMs).toBeGreaterThan(0)
    expect(reads()).toHaveLength(3)
  })

  it('refuses at once, without calling Cognito, a call that would queue longer than maxQueueMs', async () => {
    const idp = paced({ rates: { create: 50, list: 30, read: 2, write: 25 }, maxQueueMs: 1_000 })
    const outcomes = await settle(Array.from({ length: 8 }, () => idp.getUserByEmail(user.email)))
    const refused = outcomes.filter((outcome) => outcome !== 'ok')
    expect(refused.length).toBeGreaterThan(0)
    for (const outcome of refused) {
      expect(outcome.reason).toBe('Throttled')
      expect(outcome.retryAfterMs).toBeGreaterThan(1_000)
    }
    expect(reads()).toHaveLength(outcomes.length - refused.length)
  })

  it('does not retry failures other than throttling', async () => {
    proxy.fail('AdminGetUser', { kind: 'unavailable' })
    const [outcome] = await settle([paced().getUserByEmail(user.email)])
    expect((outcome as IdentityProviderError).reason).toBe('Unavailable')
    expect(reads()).toHaveLength(1)
  })
})
