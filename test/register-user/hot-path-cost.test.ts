import { describe, expect, it } from 'vitest'
import { RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { uniqueEmail } from '../support/factories.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { recordStatements } from '../support/statement-log.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

// One successful registration with the `local` provider, end to end and permission check
// included: the intent, the IdP's own write, and one statement for the rest. Issue 14 allowed 8
// round trips; the 5 reached (the caller's account, its permissions, the intent, the IdP's write,
// the completion) are held here, so a later change cannot add one back without saying so.
const MAX_WRITE_COMMITS = 3
const MAX_ROUND_TRIPS = 5

describe.each(databaseTargets())('the cost of one registration on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    const s = useScriptedTestApp(database)

    it('is at most 3 commits and 5 round trips, permission check included', async () => {
      const register = () =>
        s.t.app.inject({
          method: 'POST',
          url: '/api/step/users',
          headers: s.headers,
          payload: { email: uniqueEmail('cost'), name: 'N', organisation: 'O', roles: [RESEARCHER_ROLE_ID] },
        })
      // Warm: reference data cached, prepared statements made, the caller's key known.
      expect((await register()).statusCode).toBe(201)
      const log = recordStatements(database())
      try {
        expect((await register()).statusCode).toBe(201)
        // Shown only when a budget is exceeded: which statements came back.
        const seen = log.statements.map((statement) => statement.text.slice(0, 120)).join('\n')
        expect(log.writeCommits(), seen).toBeLessThanOrEqual(MAX_WRITE_COMMITS)
        expect(log.roundTrips(), seen).toBeLessThanOrEqual(MAX_ROUND_TRIPS)
      } finally {
        log.stop()
      }
    })
  })
})
