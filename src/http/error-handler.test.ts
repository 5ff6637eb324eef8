import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../errors/app-error.js'
import { type IdentityErrorReason, IdentityProviderError } from '../identity/identity-errors.js'
import { errorHandler, notFoundHandler } from './error-handler.js'

const NewUser = Type.Object(
  {
    email: Type.String({ format: 'email' }),
    name: Type.String({ minLength: 1, maxLength: 255 }),
    roles: Type.Array(Type.String({ format: 'uuid' })),
  },
  { additionalProperties: false },
)

const ROLE_ID = '64d3145b-034c-4328-b637-8eb54313b7c5'

const buildTestApp = async (): Promise<FastifyInstance> => {
  const app = Fastify({ logger: false }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(TypeBoxValidatorCompiler)
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler(notFoundHandler)
  app.post('/users', { schema: { body: NewUser } }, async (request) => ({ accepted: request.body.email }))
  app.get('/boom', async () => {
    throw new Error('secret internal text')
  })
  app.get('/throttled', async () => {
    throw new AppError('Throttled', 'idp.throttled', 'Too many requests, try again later', {
      retryAfterSeconds: 2.5,
    })
  })
  app.get<{ Params: { reason: IdentityErrorReason } }>('/idp/:reason', async (request) => {
    throw new IdentityProviderError(request.params.reason, 'The email address is not valid', {
      cause: new Error('secret provider text'),
      retryAfterMs: 2500,
    })
  })
  app.get<{ Params: { code: string } }>('/db/:code', async (request) => {
    const driverError = Object.assign(new Error('secret database text'), { code: request.params.code })
    throw new Error('Failed query: select ...', { cause: driverError })
  })
  await app.ready()
  return app
}

const postJson = (app: FastifyInstance, payload: string, contentType = 'application/json') =>
  app.inject({ method: 'POST', url: '/users', headers: { 'content-type': contentType }, payload })

describe('the HTTP error handler', () => {
  let app: FastifyInstance

  beforeAll(async () => {
    app = await buildTestApp()
  })

  afterAll(async () => {
    await app.close()
  })

  it('accepts a valid body', async () => {
    const response = await postJson(
      app,
      JSON.stringify({ email: 'new.user@example.org', name: 'New User', roles: [ROLE_ID] }),
    )
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ accepted: 'new.user@example.org' })
  })

  it('lists every validation problem in a 422, not just the first', async () => {
    const response = await postJson(
      app,
      JSON.stringify({ email: 'not-an-email', roles: [ROLE_ID, 'not-a-uuid'], extra: true }),
    )
    expect(response.statusCode).toBe(422)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    const body = response.json()
    expect(body).toMatchObject({ status: 422, title: 'Unprocessable Content', code: 'request.invalid' })
    expect(body.detail).toEqual(expect.any(String))
    const locations = (body.errors as { loc: unknown[] }[]).map((issue) => issue.loc)
    expect(locations).toEqual(
      expect.arrayContaining([
        ['body', 'name'],
        ['body', 'email'],
        ['body', 'extra'],
        ['body', 'roles', 1],
      ]),
    )
    // Each problem once: an unknown field is not reported a second time as "schema is false".
    expect(locations).toHaveLength(4)
    for (const issue of body.errors) {
      expect(issue).toEqual({ loc: expect.any(Array), msg: expect.any(String), type: expect.any(String) })
    }
    expect(body.errors).toContainEqual({ loc: ['body', 'name'], msg: 'Field required', type: 'missing' })
    expect(body.errors).toContainEqual({
      loc: ['body', 'extra'],
      msg: 'Extra inputs are not permitted',
      type: 'extra_forbidden',
    })
  })

  it("reports a non-UUID role at its index in the array, in FLIP's words", async () => {
    const response = await postJson(
      app,
      JSON.stringify({ email: 'a@example.org', name: 'A', roles: ['not-a-uuid'] }),
    )
    expect(response.statusCode).toBe(422)
    expect(response.json().errors).toEqual([
      { loc: ['body', 'roles', 0], msg: 'Input should be a valid UUID', type: 'uuid_parsing' },
    ])
  })

  it('refuses an empty name and one longer than 255 characters', async () => {
    for (const name of ['', 'x'.repeat(256)]) {
      const response = await postJson(app, JSON.stringify({ email: 'a@example.org', name, roles: [] }))
      expect(response.statusCode).toBe(422)
      expect(response.json().errors).toEqual([
        { loc: ['body', 'name'], msg: expect.any(String), type: expect.any(String) },
      ])
    }
  })

  it('answers malformed JSON with 400 and a detail', async () => {
    const response = await postJson(app, '{"email": ')
    expect(response.statusCode).toBe(400)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.json()).toMatchObject({
      status: 400,
      detail: expect.any(String),
      code: 'request.malformed',
    })
  })

  it('answers a body of a content type it has no parser for with 415 and a detail', async () => {
    const response = await postJson(app, '<user email="a@example.org"/>', 'application/xml')
    expect(response.statusCode).toBe(415)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.json()).toMatchObject({
      status: 415,
      title: 'Unsupported Media Type',
      detail: expect.any(String),
      code: 'request.unsupported_media_type',
    })
  })

  // A bare Fastify parses text/plain into a string, so such a body reaches validation and is
  // refused as not being an object. The service removes that parser (http/build-app.ts) and
  // answers 415 instead (test/http/http-edge.test.ts).
  it('refuses a text/plain body that reaches validation as a body that is not an object', async () => {
    const response = await postJson(app, JSON.stringify({ email: 'a@example.org' }), 'text/plain')
    expect(response.statusCode).toBe(422)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.json()).toMatchObject({
      detail: expect.any(String),
      errors: [{ loc: ['body'], msg: expect.any(String), type: expect.any(String) }],
    })
  })

  it('answers an empty JSON body with a client error and a detail', async () => {
    const response = await postJson(app, '')
    expect(response.statusCode).toBeGreaterThanOrEqual(400)
    expect(response.statusCode).toBeLessThan(500)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.json().detail).toEqual(expect.any(String))
  })

  it('answers an unexpected exception with a 500 that does not echo its message', async () => {
    const response = await app.inject({ url: '/boom' })
    expect(response.statusCode).toBe(500)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.json()).toMatchObject({ status: 500, detail: 'Internal server error' })
    expect(response.body).not.toContain('secret')
  })

  it('answers a throttled error with 429 and a Retry-After header in whole seconds', async () => {
    const response = await app.inject({ url: '/throttled' })
    expect(response.statusCode).toBe(429)
    expect(response.headers['retry-after']).toBe('3')
    expect(response.json()).toMatchObject({
      status: 429,
      title: 'Too Many Requests',
      detail: 'Too many requests, try again later',
      code: 'idp.throttled',
    })
  })

  // Use cases no longer convert by hand: whatever reaches the handler unconverted takes its row
  // in the identity error bridge.
  it.each([
    ['Throttled', 429, 'idp.throttled', 'The identity provider is throttling requests; please retry later.'],
    ['Unavailable', 503, 'idp.unavailable', 'The identity provider is unavailable; please try again.'],
    [
      'Ambiguous',
      503,
      'idp.ambiguous',
      'The identity provider did not confirm the change; please verify and retry.',
    ],
    ['InvalidInput', 422, 'idp.invalid_input', 'The email address is not valid'],
    ['NotFound', 500, 'internal.unexpected', 'Internal server error'],
    ['AlreadyExists', 500, 'internal.unexpected', 'Internal server error'],
    ['ProviderError', 500, 'internal.unexpected', 'Internal server error'],
  ])('answers an unconverted identity-provider %s with %i %s', async (reason, status, code, detail) => {
    const response = await app.inject({ url: `/idp/${reason}` })
    expect(response.statusCode).toBe(status)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.json()).toMatchObject({ status, code, detail })
    expect(response.headers['retry-after']).toBe(reason === 'Throttled' ? '3' : undefined)
    expect(response.body).not.toContain('secret')
  })

  it.each([
    ['08006', 503, 'database.unavailable'],
    ['57P01', 503, 'database.unavailable'],
    ['40001', 503, 'database.unavailable'],
    ['40P01', 503, 'database.unavailable'],
    ['23505', 500, 'internal.unexpected'],
    ['42601', 500, 'internal.unexpected'],
  ])('answers an unconverted database error %s with %i %s', async (sqlState, status, code) => {
    const response = await app.inject({ url: `/db/${sqlState}` })
    expect(response.statusCode).toBe(status)
    expect(response.json()).toMatchObject({ status, code })
    expect(response.body).not.toContain('secret')
  })

  it('answers an unknown route with a 404 problem', async () => {
    const response = await app.inject({ url: '/nowhere?x=1' })
    expect(response.statusCode).toBe(404)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.json()).toMatchObject({ status: 404, detail: 'Route GET /nowhere not found' })
  })
})
