import { describe, expect, it } from 'vitest'
import { backoffDelayMs } from './backoff.js'

const policy = { baseDelayMs: 100, maxDelayMs: 1_000 }

describe('backoffDelayMs', () => {
  it('doubles the step with each retry and never exceeds the ceiling', () => {
    const highest = (attempt: number) => backoffDelayMs(attempt, policy, () => 0.999999)
    expect([0, 1, 2, 3, 4, 5].map(highest)).toEqual([100, 200, 400, 800, 1_000, 1_000])
  })

  it('keeps half of each step certain, so no retry is immediate, and jitters the rest', () => {
    expect(backoffDelayMs(0, policy, () => 0)).toBe(50)
    expect(backoffDelayMs(3, policy, () => 0)).toBe(400)
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(600)
  })

  it('waits at least as long as the provider asked', () => {
    expect(backoffDelayMs(0, policy, () => 0, 2_500)).toBe(2_500)
    expect(backoffDelayMs(3, policy, () => 0, 10)).toBe(400)
  })
})
