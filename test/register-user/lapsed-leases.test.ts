import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createRegistrationsRepository } from '../../src/repositories/registrations-repository.js'
import { newRegistration } from '../support/factories.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

const REQUESTER = '00000000-0000-4000-8000-000000000001'

/**
 * The lease sweep's question: which registrations did a worker stop holding without letting go?
 * A live worker always releases its lease, so a lapsed, unreleased one means it died.
 */
describe.each(databaseTargets())('lapsed registration leases on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)

    const recorded = () =>
      createRegistrationsRepository(database().db).insert(
        newRegistration(REQUESTER, { prefix: 'lease', name: 'Lease Test' }),
        REQUESTER,
      )
    const lapse = (id: string) =>
      database().db.execute(
        sql`UPDATE registration SET lease_until = now() - interval '1 second' WHERE id = ${id}`,
      )

    it('finds a workable registration whose lease lapsed unreleased, and none that is released, live or final', async () => {
      const registrations = createRegistrationsRepository(database().db)
      const dead = await recorded()
      await registrations.claim(dead.id, 'worker:host:1:dead', 60)
      await lapse(dead.id)
      const released = await recorded()
      await registrations.claim(released.id, 'worker:host:2:done', 60)
      await registrations.release(released.id, 'worker:host:2:done')
      const live = await recorded()
      await registrations.claim(live.id, 'worker:host:3:live', 60)
      const final = await recorded()
      await registrations.claim(final.id, 'worker:host:4:final', 60)
      await registrations.transition(final, {
        from: 'pending',
        to: 'failed',
        actor: 'test',
        reason: 'test',
      })
      await lapse(final.id)

      expect((await registrations.findLapsedLeases(10)).map((registration) => registration.id)).toEqual([
        dead.id,
      ])
      // A new holder may claim what the dead one left; then nothing has lapsed.
      expect(await registrations.claim(dead.id, 'worker:host:5:next', 60)).toBeDefined()
      expect(await registrations.findLapsedLeases(10)).toEqual([])
    })
  })
})
