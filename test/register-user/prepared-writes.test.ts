import { describe, expect, it } from 'vitest'
import { RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { profileAndAudit } from '../../src/repositories/registration-completion-writes.js'
import { createRegistrationsRepository } from '../../src/repositories/registrations-repository.js'
import { newRegistration } from '../support/factories.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

const REQUESTER = '00000000-0000-4000-8000-000000000001'

/**
 * The registration's writes are prepared statements whose values travel as placeholders (lists
 * as JSON), not through drizzle's per-column handling: what that handling used to guarantee is
 * held here, on both databases.
 */
describe.each(databaseTargets())("the registration's prepared writes on $kind", (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    const registrations = () => createRegistrationsRepository(database().db)

    const recorded = (lease?: { owner: string; seconds: number }) =>
      registrations().insert(
        newRegistration(REQUESTER, {
          prefix: 'prepared',
          createAttemptedAt: new Date('2026-12-03T10:00:00.000Z'),
        }),
        REQUESTER,
        'registration requested',
        lease,
      )

    it('stores the intent as given: its roles as a list, its time, a lease of fractional seconds', async () => {
      const row = await recorded({ owner: 'worker:1', seconds: 1.5 })
      expect(row.roleIds).toEqual([RESEARCHER_ROLE_ID])
      expect(row.createAttemptedAt?.toISOString()).toBe('2026-12-03T10:00:00.000Z')
      expect(row.userId).toBeNull()
      expect(row.leaseOwner).toBe('worker:1')
      expect(row.leaseUntil!.getTime()).toBeGreaterThan(row.createdAt.getTime())
    })

    it('leaves a field given as undefined as it was, and sets one given as null to NULL', async () => {
      const row = await recorded()
      const noted = await registrations().note(row, 'test', 'first failure', {
        errorCode: 'idp.unavailable',
        errorDetail: 'down',
        attempts: 1,
      })
      const again = await registrations().note(noted, 'test', 'second look', {
        errorCode: undefined,
        errorDetail: null,
        attempts: 2,
      })
      expect(again).toMatchObject({ errorCode: 'idp.unavailable', errorDetail: null, attempts: 2 })
    })

    it('records a reason holding a lone surrogate (as U+FFFD) rather than failing the transition', async () => {
      const row = await recorded()
      await registrations().note(row, 'test', 'broken \ud800 text', { attempts: 1 })
      const events = await registrations().events(row.id)
      expect(events.at(-1)!.reason).toBe('broken \ufffd text')
    })

    it('refuses a write beside a transition whose placeholder name is already taken, writing nothing', async () => {
      const row = await recorded()
      const clashing = { ...profileAndAudit(['Registered user']), values: { id: 'x', auditActions: '[]' } }
      await expect(
        registrations().transition(
          row,
          { from: 'pending', to: 'failed', actor: 'test', reason: 'clash' },
          { alongside: [clashing] },
        ),
      ).rejects.toThrow('placeholder id of profile-and-audit is already taken')
      expect((await registrations().findById(row.id))!.state).toBe('pending')
    })
  })
})
