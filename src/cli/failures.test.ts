import { describe, expect, it } from 'vitest'
import { ConfigError } from '../config.js'
import { DataDirLockedError } from '../db/data-dir-lock.js'
import { appError } from '../errors/error-catalogue.js'
import { httpStatusOf } from '../errors/http-status.js'
import { IdentityProviderError } from '../identity/identity-errors.js'
import { UsageError } from './command-table.js'
import { exitCodeOf, type FailureKind } from './exit-codes.js'
import { CliFailure, describeFailure, failureLine } from './failures.js'

const url = 'postgres://flip:secret@db.example.org:6543/flip'
const errno = (code: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${code} happened`), { code, ...extra })
const sqlState = (code: string, message: string) => Object.assign(new Error(message), { code })

// One row per way a command can fail: what it threw → the kind (hence the exit code) and the line.
const rows: [string, unknown, FailureKind, number, RegExp][] = [
  [
    'a usage mistake',
    new UsageError('unknown option "--x"'),
    'usage',
    64,
    /unknown option "--x" — run "flip-users migrate --help"/,
  ],
  [
    'a bad setting',
    new ConfigError(['PORT must be a number']),
    'config',
    78,
    /invalid configuration: PORT must be a number — /,
  ],
  [
    'a busy data directory',
    new DataDirLockedError('/data'),
    'busy',
    75,
    /the data directory \/data is in use/,
  ],
  [
    'a refused connection',
    Object.assign(new AggregateError([errno('ECONNREFUSED')], 'connect failed')),
    'databaseUnreachable',
    69,
    /cannot reach the database at db\.example\.org:6543\/flip \(ECONNREFUSED\) — check that PostgreSQL is running/,
  ],
  [
    'a wrong password',
    sqlState('28P01', 'password authentication failed for user "flip"'),
    'Unauthenticated',
    77,
    /refused our credentials .* — check the user and password/,
  ],
  [
    'no pg_hba entry',
    sqlState('28000', 'no pg_hba.conf entry'),
    'Unauthenticated',
    77,
    /refused our credentials/,
  ],
  [
    'a missing database',
    sqlState('3D000', 'database "flip" does not exist'),
    'databaseMissing',
    69,
    /there is no database "flip" on db\.example\.org:6543 — create it \(createdb flip\)/,
  ],
  [
    'a port in use',
    errno('EADDRINUSE', { port: 8000, address: '127.0.0.1' }),
    'portInUse',
    69,
    /port 8000 on 127\.0\.0\.1 is already in use — /,
  ],
  [
    'a missing record',
    appError('registration.not_found', 'No registration x'),
    'NotFound',
    66,
    /No registration x — /,
  ],
  [
    'an identity provider that is down',
    new IdentityProviderError('Unavailable', 'The identity provider is unavailable'),
    'Transient',
    69,
    /unavailable — try again/,
  ],
  [
    'a failure a command named',
    new CliFailure('Forbidden', 'the account a@b.c is disabled', 'enable it'),
    'Forbidden',
    77,
    /the account a@b\.c is disabled — enable it$/,
  ],
  [
    'an email already registered',
    appError('user.email_exists', 'User with email a@b.c already exists'),
    'Conflict',
    65,
    /User with email a@b\.c already exists — /,
  ],
  [
    'a registration that failed and was rolled back',
    appError('registration.rolled_back', 'Failed to set user roles for user u. User has been deleted.'),
    'Internal',
    70,
    /User has been deleted — run again with LOG_LEVEL=debug/,
  ],
  [
    'anything else',
    new Error('boom\n    at somewhere'),
    'Internal',
    70,
    /unexpected error: boom — this is a bug/,
  ],
]

describe('how the command line reports a failure', () => {
  it('gives every error kind an exit code from the one table', () => {
    const kinds = Object.keys(httpStatusOf) as (keyof typeof httpStatusOf)[]
    for (const kind of kinds) expect(exitCodeOf[kind]).toBeGreaterThan(0)
  })

  it.each(rows)('tells %s apart, with its exit code and one line', (_label, error, kind, code, line) => {
    const failure = describeFailure(error, { command: 'migrate', databaseUrl: url })
    expect(failure.kind).toBe(kind)
    expect(exitCodeOf[failure.kind]).toBe(code)
    const text = failureLine('migrate', failure)
    expect(text).toMatch(/^flip-users migrate: /)
    expect(text).toMatch(line)
    expect(text).not.toContain('\n')
    expect(text).not.toContain('secret')
  })

  it('names the program alone when no command was recognised', () => {
    const failure = describeFailure(new UsageError('unknown command "x"'), { command: '' })
    expect(failureLine('', failure)).toBe(
      'flip-users: unknown command "x" — run "flip-users --help" for usage',
    )
  })
})
