import { randomUUID } from 'node:crypto'
import { type SQL, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { submitAccessRequest } from '../../src/features/access-requests/access-requests.js'
import { bearer, createViewer, tokenFor } from '../support/factories.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { rowsOf } from '../support/sql-rows.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

interface Row {
  email: string
  full_name: string
  reason_for_access: string
  status: string
  email_notified: boolean
  handled_by_user_id: string | null
}

describe.each(databaseTargets())('access requests on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    // A high limit here; the rate limit has its own app below.
    const s = useScriptedTestApp(database, { env: { ACCESS_REQUESTS_PER_HOUR: '1000' } })
    const rows = (query: SQL = sql`SELECT * FROM access_request ORDER BY created_at`) =>
      rowsOf<Row & { id: string }>(database(), query)
    const submit = (payload: unknown, remoteAddress = '10.0.0.1') =>
      s.t.app.inject({ method: 'POST', url: '/api/users/access', payload: payload as object, remoteAddress })
    const list = (query = '', headers = s.headers) =>
      s.t.app.inject({ method: 'GET', url: `/api/users/access${query}`, headers })
    const patch = (id: string, payload: unknown, headers = s.headers) =>
      s.t.app.inject({ method: 'PATCH', url: `/api/users/access/${id}`, headers, payload: payload as object })
    const request = { email: 'new.person@nhs.example', fullName: 'New Person', reasonForAccess: 'Research' }

    describe('POST /api/users/access', () => {
      it('records a PENDING request without a token and answers 204; the default notifier marks it notified', async () => {
        const response = await submit(request)
        expect(response.statusCode).toBe(204)
        expect(response.body).toBe('')
        expect(await rows()).toEqual([
          expect.objectContaining({
            email: 'new.person@nhs.example',
            full_name: 'New Person',
            reason_for_access: 'Research',
            status: 'PENDING',
            email_notified: true,
            handled_by_user_id: null,
          }),
        ])
      })

      it('keeps the request, unnotified, when the notifier fails, and does not raise', async () => {
        const failing = {
          notify: async () => {
            throw new Error('SES MessageRejected')
          },
        }
        await submitAccessRequest({ db: database().db, log: s.t.deps.log, notifier: failing }, request)
        expect(await rows()).toEqual([expect.objectContaining({ status: 'PENDING', email_notified: false })])
      })

      it('accepts FLIP’s snake_case field names too', async () => {
        const response = await submit({ email: 'a@b.example', full_name: 'A B', reason_for_access: 'R' })
        expect(response.statusCode).toBe(204)
        expect(await rows()).toEqual([expect.objectContaining({ full_name: 'A B', reason_for_access: 'R' })])
      })

      it.each([
        [{ ...request, email: 'not-an-email' }],
        [{ ...request, fullName: '' }],
        [{ ...request, fullName: 'x'.repeat(256) }],
        [{ ...request, reasonForAccess: 'x'.repeat(2001) }],
        [{ ...request, isAdmin: true }],
        [{ email: 'a@b.example', fullName: 'A' }],
        [{ email: 'a@b.example', reasonForAccess: 'R' }],
        [{}],
      ])('rejects %j with 422 and a detail, storing nothing', async (body) => {
        const response = await submit(body)
        expect(response.statusCode).toBe(422)
        expect(response.json()).toMatchObject({ detail: expect.any(String), errors: expect.any(Array) })
        expect(await rows()).toEqual([])
      })
    })

    describe('GET /api/users/access', () => {
      it('lists newest first with the real total and filters by status', async () => {
        for (let i = 0; i < 25; i++) await submit({ ...request, fullName: `Person ${i}` })
        const [oldest] = await rows()
        await patch(oldest!.id, { status: 'DISMISSED' })
        const first = (await list('?pageNumber=1&pageSize=10')).json()
        expect(first).toMatchObject({ page: 1, pageSize: 10, totalPages: 3, totalRecords: 25 })
        expect(first.data[0].fullName).toBe('Person 24')
        expect(first.data[0]).toEqual({
          id: expect.any(String),
          email: request.email,
          fullName: 'Person 24',
          reasonForAccess: 'Research',
          status: 'PENDING',
          emailNotified: true,
          handledByUserId: null,
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        })
        const dismissed = (await list('?status=DISMISSED')).json()
        expect(dismissed).toMatchObject({ totalRecords: 1, pageSize: 20 })
        expect(dismissed.data[0].handledByUserId).toBe(s.admin.id)
        expect((await list('?status=PENDING&pageNumber=0&pageSize=abc')).json()).toMatchObject({
          page: 1,
          pageSize: 20,
          totalRecords: 24,
        })
      })

      it('rejects an unknown status with 422', async () => {
        const response = await list('?status=APPROVED')
        expect(response.statusCode).toBe(422)
        expect(response.json().detail).toContain('status')
      })

      it('refuses a caller without CAN_MANAGE_USERS with FLIP’s detail', async () => {
        const viewer = await createViewer(s.t.deps)
        const response = await list('', bearer(await tokenFor(s.t.deps, viewer)))
        expect(response.statusCode).toBe(403)
        expect(response.json().detail).toBe('Not authorised to manage access requests')
      })
    })

    describe('PATCH /api/users/access/{id}', () => {
      it('sets the status and the handler, and returns the record', async () => {
        await submit(request)
        const [row] = await rows()
        const response = await patch(row!.id, { status: 'ENROLLED' })
        expect(response.statusCode).toBe(200)
        expect(response.json()).toMatchObject({
          id: row!.id,
          status: 'ENROLLED',
          handledByUserId: s.admin.id,
        })
        expect(await rows()).toEqual([
          expect.objectContaining({ status: 'ENROLLED', handled_by_user_id: s.admin.id }),
        ])
      })

      it('is 404 "Access request not found" for an unknown id', async () => {
        const response = await patch(randomUUID(), { status: 'ENROLLED' })
        expect(response.statusCode).toBe(404)
        expect(response.json().detail).toBe('Access request not found')
      })

      it.each([
        ['not-a-uuid', { status: 'ENROLLED' }],
        [undefined, { status: 'APPROVED' }],
        [undefined, {}],
        [undefined, { status: 'ENROLLED', handledByUserId: randomUUID() }],
      ])('rejects id %s with body %j as 422, changing nothing', async (id, body) => {
        await submit(request)
        const [row] = await rows()
        const response = await patch(id ?? row!.id, body)
        expect(response.statusCode).toBe(422)
        expect(await rows()).toEqual([
          expect.objectContaining({ status: 'PENDING', handled_by_user_id: null }),
        ])
      })

      it('refuses a caller without CAN_MANAGE_USERS, changing nothing', async () => {
        await submit(request)
        const [row] = await rows()
        const viewer = await createViewer(s.t.deps)
        const response = await patch(
          row!.id,
          { status: 'DISMISSED' },
          bearer(await tokenFor(s.t.deps, viewer)),
        )
        expect(response.statusCode).toBe(403)
        expect(response.json().detail).toBe('Not authorised to manage access requests')
        expect(await rows()).toEqual([expect.objectContaining({ status: 'PENDING' })])
      })
    })
  })
})

describe.each(databaseTargets().slice(0, 1))('the access request rate limit on $kind', (target) => {
  const database = useTestDatabase(target)
  const s = useScriptedTestApp(database, { env: { ACCESS_REQUESTS_PER_HOUR: '3' } })
  const submit = (remoteAddress: string) =>
    s.t.app.inject({
      method: 'POST',
      url: '/api/users/access',
      remoteAddress,
      payload: { email: 'x@y.example', fullName: 'X', reasonForAccess: 'R' },
    })

  it('answers 429 with Retry-After past the limit for one address, storing nothing more; other addresses and routes are unaffected', async () => {
    for (let i = 0; i < 3; i++) expect((await submit('10.1.1.1')).statusCode).toBe(204)
    const refused = await submit('10.1.1.1')
    expect(refused.statusCode).toBe(429)
    expect(refused.json()).toMatchObject({
      detail: 'Too many access requests; please try again later.',
      code: 'access_request.rate_limited',
    })
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    expect((await submit('10.2.2.2')).statusCode).toBe(204)
    expect(await rowsOf(database(), sql`SELECT id FROM access_request`)).toHaveLength(4)
    for (let i = 0; i < 5; i++) {
      const response = await s.t.app.inject({ method: 'GET', url: '/api/users/access', headers: s.headers })
      expect(response.statusCode).toBe(200)
    }
  })
})
