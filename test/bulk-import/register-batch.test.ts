import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { uniqueEmail } from '../support/factories.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { rowsOf } from '../support/sql-rows.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

describe.each(databaseTargets())('POST /api/step/users/batch on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    const s = useScriptedTestApp(database)

    const row = (email: string, extra: Record<string, unknown> = {}) => ({
      email,
      name: 'Batch User',
      organisation: 'Example Org',
      roles: [RESEARCHER_ROLE_ID],
      ...extra,
    })
    const post = (rows: unknown[], headers: Record<string, string> = {}) =>
      s.t.app.inject({
        method: 'POST',
        url: '/api/step/users/batch',
        headers: { ...s.headers, ...headers },
        payload: rows,
      })

    it('answers per row: valid rows register, invalid and repeated rows are refused on their own', async () => {
      const [a, b, taken] = [uniqueEmail('a'), uniqueEmail('b'), uniqueEmail('taken')]
      expect((await post([row(taken)])).statusCode).toBe(200)
      s.idp.resetCalls()
      const response = await post([
        row(a),
        row('not-an-email'),
        row(b, { roles: ['5e87c5a2-9a3e-4f0b-8c1d-2e3f4a5b6c7d'] }),
        row(a.toUpperCase()),
        row(taken),
        row(uniqueEmail('extra'), { isAdmin: true }),
      ])
      expect(response.statusCode).toBe(200)
      const results = response.json().results
      expect(results.map((r: { row: number; status: number }) => [r.row, r.status])).toEqual([
        [1, 201],
        [2, 422],
        [3, 400],
        [4, 409],
        [5, 409],
        [6, 422],
      ])
      expect(results[0]).toMatchObject({
        email: a,
        state: 'completed',
        user_id: expect.any(String),
        registration_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        detail: null,
      })
      expect(results[2].detail).toMatch(/^Invalid role\(s\): /)
      expect(results[3].detail).toBe('Duplicate email in this batch (row 1)')
      expect(results[4]).toMatchObject({ detail: `User with email ${taken} already exists`, state: 'failed' })
      expect(s.idp.calls.createUser).toBe(2)
    })

    it('replays a re-posted batch row by row and creates nothing twice', async () => {
      const rows = [row(uniqueEmail('r1')), row(uniqueEmail('r2')), row('bad')]
      const first = await post(rows, { 'idempotency-key': 'onboarding-1' })
      const again = await post(rows, { 'idempotency-key': 'onboarding-1' })
      expect(again.json()).toEqual(first.json())
      expect(s.idp.calls.createUser).toBe(2)
      const [registrations] = await rowsOf<{ n: number }>(
        database(),
        sql`SELECT count(*)::int AS n FROM registration`,
      )
      expect(registrations!.n).toBe(2)
    })

    it('refuses an empty batch, one over 1,000 rows, and a caller without CAN_MANAGE_USERS', async () => {
      expect((await post([])).statusCode).toBe(422)
      expect((await post(Array.from({ length: 1001 }, (_, i) => row(`x${i}@example.org`)))).statusCode).toBe(
        422,
      )
      expect((await post([row(uniqueEmail())], { authorization: 'Bearer nope' })).statusCode).toBe(401)
      expect(s.idp.calls.createUser).toBe(0)
    })
  })
})
