import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { uniqueEmail } from '../../test/support/factories.js'
import { scriptIdentityProvider } from '../../test/support/scripted-identity-provider.js'
import { openTestPglite } from '../../test/support/test-database.js'
import type { Database } from '../db/database.js'
import { migrateAndSeed } from '../db/migrate.js'
import type { Clock } from '../domain/clock.js'
import { AppError } from '../errors/app-error.js'
import type { IdentityProvider } from '../identity/identity-provider.js'
import { createLocalIdentityProvider } from '../identity/local/local-identity-provider.js'
import { createAccountStatusGate } from './account-status-gate.js'

describe('the account-status gate', () => {
  let database: Database
  let local: IdentityProvider
  let now = new Date('2026-01-01T00:00:00Z')
  const clock: Clock = { now: () => now }
  const later = (seconds: number) => {
    now = new Date(now.getTime() + seconds * 1000)
  }

  beforeAll(async () => {
    database = await openTestPglite()
    await migrateAndSeed(database)
    local = createLocalIdentityProvider({ db: database.db, clock })
  })
  afterAll(async () => database.close())

  const newCaller = async () => {
    const user = await local.createUser(uniqueEmail('gate'))
    return { id: user.id, username: user.username }
  }
  const refusal = (promise: Promise<void>) =>
    promise.then(
      () => undefined,
      (error: unknown) => (error instanceof AppError ? { code: error.code, detail: error.detail } : error),
    )

  it('trusts an enabled answer for the TTL, then reads the IdP again', async () => {
    const idp = scriptIdentityProvider(local)
    const gate = createAccountStatusGate({ idp, clock }, { ttlSeconds: 60 })
    const caller = await newCaller()
    await gate.check(caller)
    await local.setEnabled(caller.username, false)
    later(59)
    await gate.check(caller)
    expect(idp.calls.isEnabled).toBe(1)
    later(2)
    expect(await refusal(gate.check(caller))).toEqual({
      code: 'auth.user_disabled',
      detail: 'User account is disabled.',
    })
    expect(idp.calls.isEnabled).toBe(2)
  })

  it('never caches a disabled answer, so a re-enabled account is let in on its next request', async () => {
    const idp = scriptIdentityProvider(local)
    const gate = createAccountStatusGate({ idp, clock }, { ttlSeconds: 60 })
    const caller = await newCaller()
    await local.setEnabled(caller.username, false)
    expect(await refusal(gate.check(caller))).toMatchObject({ code: 'auth.user_disabled' })
    await local.setEnabled(caller.username, true)
    await gate.check(caller)
    expect(idp.calls.isEnabled).toBe(2)
  })

  it('reads the IdP on every request with a TTL of 0', async () => {
    const idp = scriptIdentityProvider(local)
    const gate = createAccountStatusGate({ idp, clock }, { ttlSeconds: 0 })
    const caller = await newCaller()
    await gate.check(caller)
    await gate.check(caller)
    expect(idp.calls.isEnabled).toBe(2)
  })

  it('forgets an account at once, even when a read that began before is still in flight', async () => {
    let release: () => void = () => {}
    let reached: () => void = () => {}
    const answered = new Promise<void>((resolve) => (reached = resolve))
    let holding = false
    const held: IdentityProvider = {
      ...local,
      isEnabled: async (username) => {
        const answer = await local.isEnabled(username)
        if (holding) {
          const released = new Promise<void>((resolve) => (release = resolve))
          reached()
          await released
        }
        return answer
      },
    }
    const idp = scriptIdentityProvider(held)
    const gate = createAccountStatusGate({ idp, clock }, { ttlSeconds: 60 })
    const caller = await newCaller()

    holding = true
    const inFlight = gate.check(caller) // reads "enabled", then waits
    await answered
    await local.setEnabled(caller.username, false)
    gate.forget(caller.username) // the disable, made through this process
    holding = false
    release()
    await inFlight
    // The stale "enabled" was not cached: the next request reads the IdP and is refused.
    expect(await refusal(gate.check(caller))).toMatchObject({ code: 'auth.user_disabled' })
  })

  it('answers a token whose account the IdP does not know as 401 "Could not validate credentials"', async () => {
    const gate = createAccountStatusGate({ idp: local, clock }, { ttlSeconds: 60 })
    const ghost = { id: '6d1da2d7-e510-488c-9085-8608cd817256', username: uniqueEmail('ghost') }
    expect(await refusal(gate.check(ghost))).toEqual({
      code: 'auth.invalid_token',
      detail: 'Could not validate credentials',
    })
  })
})
