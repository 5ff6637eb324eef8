import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { AppError } from '../errors/app-error.js'
import { appError, errorCatalogue } from '../errors/error-catalogue.js'
import { httpStatusOf } from '../errors/http-status.js'
import {
  describeFailure,
  type FailureReason,
  failureReasonOf,
  identityErrorBridge,
  isTransient,
  toAppError,
} from './identity-error-bridge.js'
import { type IdentityErrorReason, IdentityProviderError } from './identity-errors.js'

const idpError = (reason: IdentityErrorReason, options: { retryAfterMs?: number } = {}) =>
  new IdentityProviderError(reason, `provider says ${reason}`, options)

/** Shaped like a driver error wrapped by Drizzle: the SQLSTATE sits in `cause`. */
const dbError = (code: string) =>
  new Error('Failed query: insert into ...', { cause: Object.assign(new Error('database error'), { code }) })

// One row per reason and per database class: status, code, detail, and the saga's reading.
const rows: [string, unknown, FailureReason, number, string, string, boolean][] = [
  [
    'IdP NotFound',
    idpError('NotFound'),
    'NotFound',
    500,
    'internal.unexpected',
    'Internal server error',
    true,
  ],
  [
    'IdP AlreadyExists',
    idpError('AlreadyExists'),
    'AlreadyExists',
    500,
    'internal.unexpected',
    'Internal server error',
    false,
  ],
  [
    'IdP InvalidInput',
    idpError('InvalidInput'),
    'InvalidInput',
    422,
    'idp.invalid_input',
    'provider says InvalidInput',
    false,
  ],
  [
    'IdP Throttled',
    idpError('Throttled'),
    'Throttled',
    429,
    'idp.throttled',
    'The identity provider is throttling requests; please retry later.',
    true,
  ],
  [
    'IdP Unavailable',
    idpError('Unavailable'),
    'Unavailable',
    503,
    'idp.unavailable',
    'The identity provider is unavailable; please try again.',
    true,
  ],
  [
    'IdP Ambiguous',
    idpError('Ambiguous'),
    'Ambiguous',
    503,
    'idp.ambiguous',
    'The identity provider did not confirm the change; please verify and retry.',
    true,
  ],
  [
    'IdP ProviderError',
    idpError('ProviderError'),
    'ProviderError',
    500,
    'internal.unexpected',
    'Internal server error',
    false,
  ],
  [
    'DB connection failure 08006',
    dbError('08006'),
    'DbConnection',
    503,
    'database.unavailable',
    'The database is unavailable; please try again.',
    true,
  ],
  [
    'DB admin shutdown 57P01',
    dbError('57P01'),
    'DbConnection',
    503,
    'database.unavailable',
    'The database is unavailable; please try again.',
    true,
  ],
  [
    'DB socket reset ECONNRESET',
    dbError('ECONNRESET'),
    'DbConnection',
    503,
    'database.unavailable',
    'The database is unavailable; please try again.',
    true,
  ],
  [
    'DB serialization failure 40001',
    dbError('40001'),
    'DbSerialization',
    503,
    'database.unavailable',
    'The database is unavailable; please try again.',
    true,
  ],
  [
    'DB deadlock 40P01',
    dbError('40P01'),
    'DbDeadlock',
    503,
    'database.unavailable',
    'The database is unavailable; please try again.',
    true,
  ],
  [
    'DB unique violation 23505',
    dbError('23505'),
    'DbUniqueViolation',
    500,
    'internal.unexpected',
    'Internal server error',
    false,
  ],
  [
    'DB syntax error 42601',
    dbError('42601'),
    'DbOther',
    500,
    'internal.unexpected',
    'Internal server error',
    false,
  ],
  [
    'an unexpected exception',
    new Error('secret internal text'),
    'Unknown',
    500,
    'internal.unexpected',
    'Internal server error',
    false,
  ],
  ['a thrown non-error', 'text', 'Unknown', 500, 'internal.unexpected', 'Internal server error', false],
]

describe('the identity error bridge', () => {
  it('has a row for every identity reason and database class, and no other', () => {
    expect(Object.keys(identityErrorBridge).sort()).toEqual([...new Set(rows.map((row) => row[2]))].sort())
  })

  describe.each(rows)('for %s', (_, error, reason, status, code, detail, transient) => {
    it(`falls under the ${reason} row`, () => {
      expect(failureReasonOf(error)).toBe(reason)
    })

    it(`becomes ${status} ${code} with its client-safe detail and keeps the original as cause`, () => {
      const converted = toAppError(error)
      expect(httpStatusOf[converted.kind]).toBe(status)
      expect(converted.code).toBe(code)
      expect(converted.detail).toBe(detail)
      expect(converted.cause).toBe(error)
    })

    it(`reads as ${transient ? 'transient' : 'definitive'} for the saga`, () => {
      expect(isTransient(error)).toBe(transient)
    })
  })

  it('is documented in docs/errors.md row for row, with its status, code and transient reading', async () => {
    const doc = await readFile(path.resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8')
    const documented = [
      ...doc.matchAll(
        /^\|\s*`([A-Za-z]+)`\s*\|[^|]*\|\s*(\d{3})\s*\|\s*`([a-z_.]+)`\s*\|\s*(yes|no)\b[^|]*\|$/gm,
      ),
    ].map(([, reason, status, code, transient]) => [reason, Number(status), code, transient === 'yes'])
    const table = Object.entries(identityErrorBridge).map(([reason, row]) => [
      reason,
      httpStatusOf[errorCatalogue[row.code]],
      row.code,
      row.transient,
    ])
    expect(documented).toEqual(table)
  })

  it('gives Throttled the provider’s delay as Retry-After, rounded up to whole seconds', () => {
    expect(toAppError(idpError('Throttled', { retryAfterMs: 2500 })).retryAfterSeconds).toBe(3)
    expect(toAppError(idpError('Throttled')).retryAfterSeconds).toBe(1)
    expect(toAppError(idpError('Throttled', { retryAfterMs: 0 })).retryAfterSeconds).toBe(1)
    expect(toAppError(idpError('Unavailable')).retryAfterSeconds).toBeUndefined()
  })

  it('passes an AppError through unchanged, whatever the overrides say', () => {
    const already = appError('user.not_found', 'User not found')
    expect(toAppError(already, { otherwise: { code: 'user.update_failed', detail: 'x' } })).toBe(already)
  })

  it('lets a use case give a reason its FLIP detail, with the provider’s message when it says so', () => {
    const exists = toAppError(idpError('AlreadyExists'), {
      AlreadyExists: { code: 'user.email_exists', detail: 'User with that email already exists' },
    })
    expect([exists.code, httpStatusOf[exists.kind], exists.detail]).toEqual([
      'user.email_exists',
      409,
      'User with that email already exists',
    ])
    const lookup = toAppError(idpError('ProviderError'), {
      ProviderError: { code: 'idp.failed', detail: (error) => error.message },
    })
    expect([lookup.code, lookup.detail]).toEqual(['idp.failed', 'provider says ProviderError'])
  })

  it('applies `otherwise` to the definitive rows only, never to a transient or client-fixable one', () => {
    const overrides = { otherwise: { code: 'user.update_failed', detail: 'Failed to update user' } } as const
    for (const error of [idpError('NotFound'), idpError('ProviderError'), dbError('23505'), new Error('x')]) {
      expect(toAppError(error, overrides).code).toBe('user.update_failed')
    }
    expect(toAppError(idpError('Unavailable'), overrides).code).toBe('idp.unavailable')
    expect(toAppError(idpError('InvalidInput'), overrides).code).toBe('idp.invalid_input')
    expect(toAppError(dbError('40001'), overrides).code).toBe('database.unavailable')
  })

  it('prefers a reason’s own override to `otherwise`', () => {
    const converted = toAppError(idpError('NotFound'), {
      NotFound: { code: 'user.not_found', detail: 'User not found' },
      otherwise: { code: 'user.update_failed', detail: 'Failed to update user' },
    })
    expect(converted.code).toBe('user.not_found')
  })

  it('reads an AppError as transient exactly when it is retryable', () => {
    expect(isTransient(appError('database.unavailable', 'x'))).toBe(true)
    expect(isTransient(appError('idp.throttled', 'x'))).toBe(true)
    expect(isTransient(new AppError('Internal', 'user.register_failed', 'x'))).toBe(false)
  })

  it.each([
    [idpError('Unavailable'), 'identity provider: Unavailable: provider says Unavailable'],
    [
      appError('user.email_exists', 'User with that email already exists'),
      'User with that email already exists',
    ],
    [dbError('40P01'), 'database temporarily unavailable'],
    [dbError('23505'), 'unexpected error'],
    [new Error('secret internal text'), 'unexpected error'],
  ])('describes %s for the registration record without internal text', (error, description) => {
    expect(describeFailure(error)).toBe(description)
  })
})
