import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import { uniqueEmail } from '../support/factories.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { rowsOf } from '../support/sql-rows.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'
import { registrationById, waitForState } from './saga-assertions.js'

const unavailable = () => new IdentityProviderError('Unavailable', 'The identity provider is unavailable')

/**
 * A registration the IdP keeps refusing transiently is worked by one job at a time, however often
 * the sweeps queue it: a job that leaves it workable ends and queues the next attempt, so jobs
 * never pile up (each would spend the compensation budget on its own).
 */
describe.each(databaseTargets())('background retries on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    const s = useScriptedTestApp(database, {
      faults: true,
      workers: true,
      saga: { compensationBudget: 3, leaseSeconds: 5 },
    })

    const liveJobs = async (registrationId: string) =>
      (
        await rowsOf<{ n: number }>(
          database(),
          sql`SELECT count(*)::int AS n FROM pgboss.job
              WHERE singleton_key = ${registrationId} AND state IN ('created', 'retry', 'active')`,
        )
      )[0]!.n

    it('keeps one job waiting per registration while sweeps queue it again and again', async () => {
      s.idp.fail('createUser', unavailable)
      const response = await s.t.app.inject({
        method: 'POST',
        url: '/api/step/users',
        headers: s.headers,
        payload: {
          email: uniqueEmail(),
          name: 'Test User',
          organisation: 'Org',
          roles: [RESEARCHER_ROLE_ID],
        },
      })
      expect(response.statusCode).toBe(202)
      const id = response.json().registration_id as string
      const start = (await registrationById(database(), id)).attempts

      // Each round is what a sweep does (queue it), then waits for one more background attempt.
      let most = 0
      for (let round = 1; round <= 4; round++) {
        await s.t.deps.jobs.enqueueRegistration(id)
        for (let polls = 0; (await registrationById(database(), id)).attempts < start + round; polls++) {
          if (polls > 300) throw new Error(`no background attempt in round ${round}`)
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        most = Math.max(most, await liveJobs(id))
      }
      // At most the job running now and the one it queued.
      expect(most).toBeLessThanOrEqual(2)

      s.idp.heal()
      await waitForState(database(), id, 'completed')
    })
  })
})
