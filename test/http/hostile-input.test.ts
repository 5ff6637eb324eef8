import { describe, expect, it } from 'vitest'
import { RESEARCHER_ROLE_ID, VIEWER_ROLE_ID } from '../../src/domain/roles.js'
import { IdentityProviderError } from '../../src/identity/identity-errors.js'
import { createUser, uniqueEmail } from '../support/factories.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { databaseChecksum } from '../support/table-checksum.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'

const NUL = '\u0000'
const LONE_SURROGATE = '\uD800'

/** Each input that answered 500 before (issue 10 §1), as a request. */
interface Case {
  name: string
  method: 'GET' | 'POST' | 'PUT' | 'PATCH'
  url: string
  payload?: unknown
  /** The public access request is sent without a token. */
  anonymous?: boolean
  loc: (string | number)[]
}

describe.each(databaseTargets())('hostile input on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    const s = useScriptedTestApp(database, { env: { ACCESS_REQUESTS_PER_HOUR: '1000' } })
    const send = (request: Omit<Case, 'name' | 'loc'>) =>
      s.t.app.inject({
        method: request.method,
        url: request.url,
        ...(request.anonymous ? {} : { headers: s.headers }),
        ...(request.payload === undefined ? {} : { payload: request.payload as object }),
      })
    const registration = (fields: Record<string, unknown> = {}) => ({
      email: uniqueEmail('hostile'),
      name: 'Test User',
      organisation: 'Example Org',
      roles: [RESEARCHER_ROLE_ID],
      ...fields,
    })
    const access = (fields: Record<string, unknown> = {}) => ({
      email: 'new.person@nhs.example',
      fullName: 'New Person',
      reasonForAccess: 'Research',
      ...fields,
    })

    const expectRefused = async (response: Awaited<ReturnType<typeof send>>, status = 422) => {
      expect(response.statusCode).toBe(status)
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
      const body = response.json()
      expect(body.detail).toEqual(expect.any(String))
      return body
    }

    describe('a NUL character (PostgreSQL text cannot hold it) is a 422 at validation, nothing written', () => {
      const cases = (userId: () => string): Case[] => [
        {
          name: 'the list search',
          method: 'GET',
          url: '/api/users?search=%00',
          loc: ['querystring', 'search'],
        },
        {
          name: 'a registration name',
          method: 'POST',
          url: '/api/step/users',
          payload: registration({ name: `Ann${NUL}` }),
          loc: ['body', 'name'],
        },
        {
          name: 'a registration organisation',
          method: 'POST',
          url: '/api/step/users',
          payload: registration({ organisation: `${NUL}Org` }),
          loc: ['body', 'organisation'],
        },
        {
          name: 'a phase-1 registration name',
          method: 'POST',
          url: '/api/users',
          payload: registration({ name: NUL }),
          loc: ['body', 'name'],
        },
        {
          name: 'a profile update',
          method: 'PUT',
          get url() {
            return `/api/users/${userId()}`
          },
          payload: { name: `New${NUL}Name` },
          loc: ['body', 'name'],
        },
        {
          name: "the public access request's full name",
          method: 'POST',
          url: '/api/users/access',
          payload: access({ fullName: `New${NUL}` }),
          anonymous: true,
          loc: ['body', 'fullName'],
        },
        {
          name: "the public access request's reason",
          method: 'POST',
          url: '/api/users/access',
          payload: access({ reasonForAccess: `${NUL}` }),
          anonymous: true,
          loc: ['body', 'reasonForAccess'],
        },
        {
          name: 'a row of a batch',
          method: 'POST',
          url: '/api/step/users/batch',
          payload: [registration(), registration({ name: `B${NUL}` })],
          loc: ['body', 1, 'name'],
        },
        {
          name: 'the lookup address',
          method: 'GET',
          url: '/api/users/lookup?email=a%00@example.org',
          loc: ['querystring', 'email'],
        },
        {
          name: 'a triage status',
          method: 'PATCH',
          url: '/api/users/access/6d1da2d7-e510-488c-9085-8608cd817256',
          payload: { status: `PENDING${NUL}` },
          loc: ['body', 'status'],
        },
      ]
      let userIdForCase = ''
      const all = cases(() => userIdForCase)
      it.each(all.map((c) => [c.name, c] as const))('%s', async (_name, request) => {
        userIdForCase = (await createUser(s.t.deps, [VIEWER_ROLE_ID])).id
        const before = await databaseChecksum(database())
        const body = await expectRefused(await send(request))
        expect(body.code).toBe('request.invalid')
        expect(body.errors).toContainEqual({
          loc: request.loc,
          msg: 'String should not contain the NUL character (U+0000)',
          type: 'string_nul_character',
        })
        expect(await databaseChecksum(database())).toEqual(before)
      })
    })

    describe('an unpaired surrogate (no UTF-8 form) is a 422 too; a real pair is ordinary text', () => {
      it('refuses a lone surrogate in the public access request and records nothing', async () => {
        const before = await databaseChecksum(database())
        const body = await expectRefused(
          await send({
            method: 'POST',
            url: '/api/users/access',
            payload: access({ fullName: `Ann ${LONE_SURROGATE}` }),
            anonymous: true,
          }),
        )
        expect(body.errors).toEqual([
          {
            loc: ['body', 'fullName'],
            msg: 'String should be valid Unicode (no unpaired surrogate)',
            type: 'string_unpaired_surrogate',
          },
        ])
        expect(await databaseChecksum(database())).toEqual(before)
      })

      it('refuses a lone low surrogate in a registration organisation', async () => {
        const body = await expectRefused(
          await send({
            method: 'POST',
            url: '/api/step/users',
            payload: registration({ organisation: '\uDE00' }),
          }),
        )
        expect(body.errors[0]).toMatchObject({
          loc: ['body', 'organisation'],
          type: 'string_unpaired_surrogate',
        })
      })

      it('keeps an emoji (a surrogate pair) in a name', async () => {
        const response = await send({
          method: 'POST',
          url: '/api/step/users',
          payload: registration({ name: 'Ann 😀' }),
        })
        expect(response.statusCode).toBe(201)
        expect(response.json().name).toBe('Ann 😀')
      })
    })

    describe('one email rule on every route', () => {
      const refused = ['"admin"@flip.local', 'admin@[127.0.0.1]', 'admin@localhost', ' admin@flip.local']

      it.each(refused)('refuses %s on the lookup with 422 and no IdP call', async (email) => {
        s.idp.resetCalls()
        const body = await expectRefused(
          await send({ method: 'GET', url: `/api/users/lookup?email=${encodeURIComponent(email)}` }),
        )
        expect(body.code).toBe('request.invalid')
        expect(body.errors).toEqual([
          expect.objectContaining({ loc: ['querystring', 'email'], type: 'format' }),
        ])
        expect(s.idp.calls.getUserByEmail).toBe(0)
      })

      it('answers the quoted local part of the issue (it answered 500 idp.failed) with 422', async () => {
        const response = await send({
          method: 'GET',
          url: '/api/users/lookup?email=%22admin%22%40flip.local',
        })
        await expectRefused(response)
        expect(response.json().code).toBe('request.invalid')
      })

      it.each(refused)(
        'refuses %s as a registration, a phase-1 registration and an access request',
        async (email) => {
          const before = await databaseChecksum(database())
          s.idp.resetCalls()
          for (const request of [
            { method: 'POST', url: '/api/step/users', payload: registration({ email }) },
            { method: 'POST', url: '/api/users', payload: registration({ email }) },
            { method: 'POST', url: '/api/users/access', payload: access({ email }), anonymous: true },
          ] as const) {
            const body = await expectRefused(await send(request))
            expect(body.errors).toEqual([expect.objectContaining({ loc: ['body', 'email'], type: 'format' })])
          }
          expect(s.idp.calls.createUser).toBe(0)
          expect(await databaseChecksum(database())).toEqual(before)
        },
      )

      it('takes an address the rule allows on every route alike', async () => {
        const email = `o'brien+flip.${Date.now()}@sub.example-nhs.org`
        const created = await send({
          method: 'POST',
          url: '/api/step/users',
          payload: registration({ email }),
        })
        expect(created.statusCode).toBe(201)
        const found = await send({
          method: 'GET',
          url: `/api/users/lookup?email=${encodeURIComponent(email)}`,
        })
        expect(found.statusCode).toBe(200)
        expect(found.json().email).toBe(email)
        const requested = await send({
          method: 'POST',
          url: '/api/users/access',
          payload: access({ email }),
          anonymous: true,
        })
        expect(requested.statusCode).toBe(204)
      })
    })

    it('answers a path the router cannot decode (a surrogate’s bytes) with 400 problem+json', async () => {
      const body = await expectRefused(await send({ method: 'GET', url: '/api/users/%ED%A0%80' }), 400)
      expect(body.code).toBe('request.malformed')
    })

    describe("an identity provider's InvalidInput on a read is a 4xx, never a 500", () => {
      const invalid = () => new IdentityProviderError('InvalidInput', 'Invalid email address format')

      it('answers the lookup with 422 idp.invalid_input and the provider’s safe message', async () => {
        s.idp.fail('getUserByEmail', invalid)
        const body = await expectRefused(
          await send({ method: 'GET', url: '/api/users/lookup?email=a@example.org' }),
        )
        expect(body).toMatchObject({ code: 'idp.invalid_input', detail: 'Invalid email address format' })
      })

      it('answers a user read with 422 idp.invalid_input', async () => {
        const user = await createUser(s.t.deps, [VIEWER_ROLE_ID])
        s.idp.fail('getUserById', invalid)
        const body = await expectRefused(await send({ method: 'GET', url: `/api/users/${user.id}` }))
        expect(body.code).toBe('idp.invalid_input')
      })
    })
  })
})
