import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { databaseTargets, useTestDatabase } from '../../test/support/test-database.js'
import { dbFailureClassOf, isTransientDbError, isUniqueViolation, sqlStateOf } from './pg-errors.js'
import { roles } from './schema/index.js'

/** An error shaped like the `pg`/PGlite driver's: a message plus the server's fields. */
const pgError = (fields: { code?: string; constraint?: string }) =>
  Object.assign(new Error('database error'), fields)

/** How Drizzle wraps a driver error: its own message, the original in `cause`. */
const drizzleWrapped = (cause: Error) => new Error('Failed query: insert into ...', { cause })

describe('isTransientDbError', () => {
  it.each([
    ['08000', 'connection exception'],
    ['08003', 'connection does not exist'],
    ['08006', 'connection failure'],
    ['57P01', 'admin shutdown'],
    ['57P02', 'crash shutdown'],
    ['57P03', 'cannot connect now'],
    ['40001', 'serialization failure'],
    ['40P01', 'deadlock detected'],
    ['ECONNREFUSED', 'the server refused the connection'],
    ['ECONNRESET', 'the connection was reset'],
  ])('treats %s (%s) as transient', (code) => {
    expect(isTransientDbError(pgError({ code }))).toBe(true)
  })

  it.each([
    ['23505', 'unique violation'],
    ['23503', 'foreign key violation'],
    ['42601', 'syntax error'],
    ['42P01', 'undefined table'],
    ['22P02', 'invalid text representation'],
  ])('treats %s (%s) as definitive', (code) => {
    expect(isTransientDbError(pgError({ code }))).toBe(false)
  })

  it('treats an error without a code as definitive', () => {
    expect(isTransientDbError(new Error('something else'))).toBe(false)
  })

  it.each([null, undefined, 'text', 42])('treats a thrown non-error %s as definitive', (thrown) => {
    expect(isTransientDbError(thrown)).toBe(false)
  })

  it('finds a transient code nested in the cause, as Drizzle wraps it', () => {
    expect(isTransientDbError(drizzleWrapped(pgError({ code: '40P01' })))).toBe(true)
    expect(isTransientDbError(drizzleWrapped(pgError({ code: 'ECONNRESET' })))).toBe(true)
  })

  it('stops walking a cause chain that loops on itself', () => {
    const looping: Error & { cause?: unknown } = new Error('loop')
    looping.cause = looping
    expect(isTransientDbError(looping)).toBe(false)
  })
})

describe('dbFailureClassOf', () => {
  it.each([
    ['08006', 'connection'],
    ['57P01', 'connection'],
    ['ECONNRESET', 'connection'],
    ['40001', 'serialization'],
    ['40P01', 'deadlock'],
    ['23505', 'unique_violation'],
    ['23503', 'other'],
    ['42601', 'other'],
  ])('reads %s as %s, through a Drizzle wrapper too', (code, failureClass) => {
    expect(dbFailureClassOf(pgError({ code }))).toBe(failureClass)
    expect(dbFailureClassOf(drizzleWrapped(pgError({ code })))).toBe(failureClass)
  })

  it.each([new Error('something else'), null, 'text'])('says %s is not a database error', (thrown) => {
    expect(dbFailureClassOf(thrown)).toBeUndefined()
  })
})

describe('sqlStateOf', () => {
  it('reads the SQLSTATE through a wrapping error', () => {
    expect(sqlStateOf(drizzleWrapped(pgError({ code: '23503' })))).toBe('23503')
  })

  it('ignores a socket errno, which is not a SQLSTATE', () => {
    expect(sqlStateOf(pgError({ code: 'ECONNREFUSED' }))).toBeUndefined()
  })
})

describe('isUniqueViolation', () => {
  const violation = drizzleWrapped(pgError({ code: '23505', constraint: 'uq_roles_name' }))

  it('matches a unique violation of the named constraint', () => {
    expect(isUniqueViolation(violation, 'uq_roles_name')).toBe(true)
  })

  it('does not match a unique violation of another constraint', () => {
    expect(isUniqueViolation(violation, 'uq_permission_name')).toBe(false)
  })

  it('matches any unique violation when no constraint is named', () => {
    expect(isUniqueViolation(violation)).toBe(true)
  })

  it('does not match another kind of violation', () => {
    expect(isUniqueViolation(pgError({ code: '23503', constraint: 'uq_roles_name' }), 'uq_roles_name')).toBe(
      false,
    )
  })
})

describe.each(databaseTargets())('pg-errors on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)

    it('recognises a real unique violation raised through Drizzle by its constraint name', async () => {
      const error = await database()
        .db.insert(roles)
        .values({ id: randomUUID(), name: 'Admin', description: 'a second Admin' })
        .then(
          () => undefined,
          (thrown: unknown) => thrown,
        )
      expect(error).toBeDefined()
      expect(isUniqueViolation(error, 'uq_roles_name')).toBe(true)
      expect(isUniqueViolation(error, 'roles_pkey')).toBe(false)
      expect(sqlStateOf(error)).toBe('23505')
      expect(isTransientDbError(error)).toBe(false)
    })
  })
})
