import { describe, expect, it } from 'vitest'
import type { RegistrationState } from '../../src/domain/registration-state.js'
import { RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { advanceRegistration } from '../../src/features/register-user/register-user.saga.js'
import { type IdentityErrorReason, IdentityProviderError } from '../../src/identity/identity-errors.js'
import { clearDatabaseFaults, injectDatabaseFault } from '../support/database-faults.js'
import { uniqueEmail } from '../support/factories.js'
import { invalidEventPaths, orphans } from '../support/registration-invariants.js'
import { clearRowFaults, injectRowFault, installRowFaults } from '../support/row-faults.js'
import { useScriptedTestApp } from '../support/scripted-test-app.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'
import { footprintOf, registrationById, transitionsOf } from './saga-assertions.js'

/*
 * The register-user saga as a matrix (SPEC §4, CONVENTIONS "Tests"): every step × every failure
 * kind × how long the failure lasts → the answer, where the registration stands, what the
 * identity provider and the database hold, and no orphans. Faults are injected only at the
 * boundaries: the scripted identity provider, and triggers in the real database raising the
 * SQLSTATE a real failure would. The background is driven by calling the saga as a job does
 * (`advanceRegistration` as `worker`), not by waiting for the job engine, so a row costs a
 * request and a few steps; the job engine itself is covered by background-retries.test.ts.
 */

type Step = 'create identity' | 'grant access' | 'compensate'

type Failure =
  | IdentityErrorReason
  /** The IdP call took effect, then timed out (the provider holds the user, or has deleted it). */
  | 'Ambiguous, took effect'
  /** A thrown Error that is neither the IdP port's nor the database's. */
  | 'exception'
  /** Database failures, raised by a trigger on the step's write with this SQLSTATE. Transient: */
  | '08006'
  | '40001'
  | '40P01'
  /** The server shutting down (admin shutdown): transient like a lost connection. */
  | '57P01'
  /** Definitive: a foreign key (a role removed meanwhile), a check, a plain RAISE, an internal error. */
  | '23503'
  | '23514'
  | 'P0001'
  | 'XX000'
  /** The same, on the write recording the IdP user the create call returned. */
  | '08006 after the call'
  | '40001 after the call'
  | '40P01 after the call'
  | 'XX000 after the call'

/**
 * once: the first call fails, the next succeeds (inline retries may cure it);
 * lasting: fails through every inline retry, then clears before the background runs;
 * always: never clears, so the background spends its budget (compensation → needs_attention).
 */
type Persistence = 'once' | 'lasting' | 'always'

interface Row {
  step: Step
  failure: Failure
  persistence: Persistence
  /** The HTTP answer. `detail` may name `{email}` and `{userId}`; a success names neither. */
  answer: {
    status: number
    detail?: string
    code?: string
    state: RegistrationState
    idpUsers: number
    audit: readonly string[]
  }
  /** Once the background has nothing more to do. */
  settled: {
    state: RegistrationState
    idpUsers: number
    profile: boolean
    grants: boolean
    audit: readonly string[]
    events: readonly string[]
    /** IdP deleteUser calls in all: the undo, and how often it ran. */
    idpDeletes: number
  }
  /** A row where today's code disagrees with SPEC §4: it states SPEC's outcome and is expected to fail. */
  specMismatch?: string
}

const GRANTED = ['Registered user', 'Updated user roles']
const DELETED = ['Deleted user']
const COMPLETED = ['∅→pending', 'pending→identity_created', 'identity_created→completed']
const FAILED = ['∅→pending', 'pending→failed']
const UNDONE = ['∅→pending', 'pending→identity_created', 'identity_created→compensating']
const ROLLED_BACK = [...UNDONE, 'compensating→rolled_back']
const HANDED_OVER = [...UNDONE, 'compensating→needs_attention']

const completed = {
  state: 'completed',
  idpUsers: 1,
  profile: true,
  grants: true,
  audit: GRANTED,
  events: COMPLETED,
  idpDeletes: 0,
} as const
const failed = {
  state: 'failed',
  idpUsers: 0,
  profile: false,
  grants: false,
  audit: [],
  events: FAILED,
  idpDeletes: 0,
} as const
const rolledBack = (idpDeletes: number) =>
  ({
    state: 'rolled_back',
    idpUsers: 0,
    profile: false,
    grants: false,
    audit: DELETED,
    events: ROLLED_BACK,
    idpDeletes,
  }) as const
const handedOver = (audit: readonly string[], idpDeletes: number) =>
  ({
    state: 'needs_attention',
    idpUsers: 1,
    profile: false,
    grants: false,
    audit,
    events: HANDED_OVER,
    idpDeletes,
  }) as const

const created = { status: 201, state: 'completed', idpUsers: 1, audit: GRANTED } as const
const accepted = (state: 'pending' | 'identity_created', idpUsers: number) =>
  ({ status: 202, state, idpUsers, audit: [] }) as const
const refused = (status: number, detail: string, code: string) =>
  ({ status, detail, code, state: 'failed', idpUsers: 0, audit: [] }) as const
const rolledBackAnswer = {
  status: 500,
  detail: 'Failed to set user roles for user {userId}. User has been deleted.',
  code: 'registration.rolled_back',
  state: 'rolled_back',
  idpUsers: 0,
  audit: DELETED,
} as const
/** The database side commits before the IdP delete, so an IdP failure leaves its audit row. */
const rollbackFailed = (detail: string, idpUsers: number, audit: readonly string[] = DELETED) =>
  ({
    status: 500,
    detail: `Failed to set user roles for user {userId}; rollback also failed (${detail}). Manual cleanup required.`,
    code: 'registration.rollback_failed',
    state: 'compensating',
    idpUsers,
    audit,
  }) as const

// biome-ignore format: the matrix reads as a table, one row a line
const matrix: Row[] = [
  // ── create identity (pending → identity_created): the IdP createUser call ──────────────────
  { step: 'create identity', failure: 'NotFound', persistence: 'once', answer: refused(500, 'Failed to create user', 'user.create_failed'), settled: failed },
  { step: 'create identity', failure: 'AlreadyExists', persistence: 'once', answer: refused(409, 'User with email {email} already exists', 'user.email_exists'), settled: failed },
  { step: 'create identity', failure: 'InvalidInput', persistence: 'once', answer: refused(400, 'Invalid email address format', 'user.invalid_email'), settled: failed },
  { step: 'create identity', failure: 'ProviderError', persistence: 'once', answer: refused(500, 'Failed to create user', 'user.create_failed'), settled: failed },
  { step: 'create identity', failure: 'exception', persistence: 'once', answer: refused(500, 'Failed to register user', 'user.register_failed'), settled: failed },
  { step: 'create identity', failure: 'Throttled', persistence: 'once', answer: created, settled: completed },
  { step: 'create identity', failure: 'Throttled', persistence: 'lasting', answer: accepted('pending', 0), settled: completed },
  { step: 'create identity', failure: 'Unavailable', persistence: 'once', answer: created, settled: completed },
  { step: 'create identity', failure: 'Unavailable', persistence: 'lasting', answer: accepted('pending', 0), settled: completed },
  { step: 'create identity', failure: 'Ambiguous', persistence: 'once', answer: created, settled: completed },
  { step: 'create identity', failure: 'Ambiguous', persistence: 'lasting', answer: accepted('pending', 0), settled: completed },
  // The retry meets AlreadyExists for the user the timed-out call made, and adopts it.
  { step: 'create identity', failure: 'Ambiguous, took effect', persistence: 'once', answer: created, settled: completed },
  { step: 'create identity', failure: '08006', persistence: 'once', answer: created, settled: completed },
  { step: 'create identity', failure: '08006', persistence: 'lasting', answer: accepted('pending', 0), settled: completed },
  { step: 'create identity', failure: '40001', persistence: 'once', answer: created, settled: completed },
  { step: 'create identity', failure: '40001', persistence: 'lasting', answer: accepted('pending', 0), settled: completed },
  { step: 'create identity', failure: '40P01', persistence: 'once', answer: created, settled: completed },
  { step: 'create identity', failure: '40P01', persistence: 'lasting', answer: accepted('pending', 0), settled: completed },
  { step: 'create identity', failure: 'XX000', persistence: 'once', answer: refused(500, 'Failed to register user', 'user.register_failed'), settled: failed,
    specMismatch: 'today a definitive database error noting the attempt answers 500 "Internal server error" (internal.unexpected) and leaves the registration pending with no job queued, so the full sweep completes it later: the caller is told it failed, then the user is registered' },
  // The IdP user exists but its record failed: the retry adopts it (created after we began, no grants).
  { step: 'create identity', failure: '08006 after the call', persistence: 'once', answer: created, settled: completed },
  { step: 'create identity', failure: '08006 after the call', persistence: 'lasting', answer: accepted('pending', 1), settled: completed },
  { step: 'create identity', failure: '40001 after the call', persistence: 'once', answer: created, settled: completed },
  { step: 'create identity', failure: '40001 after the call', persistence: 'lasting', answer: accepted('pending', 1), settled: completed },
  { step: 'create identity', failure: '40P01 after the call', persistence: 'once', answer: created, settled: completed },
  { step: 'create identity', failure: '40P01 after the call', persistence: 'lasting', answer: accepted('pending', 1), settled: completed },
  { step: 'create identity', failure: 'XX000 after the call', persistence: 'once', answer: rolledBackAnswer, settled: rolledBack(1),
    specMismatch: 'today the failed write is caught as if the IdP had failed: the registration becomes failed ("Failed to register user", no user_id) and the IdP user it created is left behind, an orphan nothing will remove' },

  // ── grant access (identity_created → completed): one transaction, no IdP call ──────────────
  // Whatever the IdP would answer, the step never asks it: the user id is the create call's `sub`.
  { step: 'grant access', failure: 'NotFound', persistence: 'always', answer: created, settled: completed },
  { step: 'grant access', failure: 'AlreadyExists', persistence: 'always', answer: created, settled: completed },
  { step: 'grant access', failure: 'InvalidInput', persistence: 'always', answer: created, settled: completed },
  { step: 'grant access', failure: 'Throttled', persistence: 'always', answer: created, settled: completed },
  { step: 'grant access', failure: 'Unavailable', persistence: 'always', answer: created, settled: completed },
  { step: 'grant access', failure: 'Ambiguous', persistence: 'always', answer: created, settled: completed },
  { step: 'grant access', failure: 'ProviderError', persistence: 'always', answer: created, settled: completed },
  { step: 'grant access', failure: '08006', persistence: 'once', answer: created, settled: completed },
  { step: 'grant access', failure: '08006', persistence: 'lasting', answer: accepted('identity_created', 1), settled: completed },
  { step: 'grant access', failure: '40001', persistence: 'once', answer: created, settled: completed },
  { step: 'grant access', failure: '40001', persistence: 'lasting', answer: accepted('identity_created', 1), settled: completed },
  { step: 'grant access', failure: '40P01', persistence: 'once', answer: created, settled: completed },
  { step: 'grant access', failure: '40P01', persistence: 'lasting', answer: accepted('identity_created', 1), settled: completed },
  { step: 'grant access', failure: '57P01', persistence: 'once', answer: created, settled: completed },
  { step: 'grant access', failure: '57P01', persistence: 'lasting', answer: accepted('identity_created', 1), settled: completed },
  { step: 'grant access', failure: '23503', persistence: 'once', answer: rolledBackAnswer, settled: rolledBack(1) },
  { step: 'grant access', failure: 'P0001', persistence: 'once', answer: rolledBackAnswer, settled: rolledBack(1) },
  { step: 'grant access', failure: '23514', persistence: 'once', answer: rolledBackAnswer, settled: rolledBack(1) },
  { step: 'grant access', failure: 'XX000', persistence: 'once', answer: rolledBackAnswer, settled: rolledBack(1) },

  // ── compensate (compensating → rolled_back): database side, then IdP deleteUser ───────────
  // Reached by a definitive failure granting access; the database side commits before the IdP call.
  { step: 'compensate', failure: 'NotFound', persistence: 'always', answer: rolledBackAnswer, settled: rolledBack(1) },
  { step: 'compensate', failure: 'AlreadyExists', persistence: 'once', answer: rollbackFailed('the IdP said AlreadyExists', 1), settled: rolledBack(2) },
  { step: 'compensate', failure: 'AlreadyExists', persistence: 'always', answer: rollbackFailed('the IdP said AlreadyExists', 1), settled: handedOver(DELETED, 3) },
  { step: 'compensate', failure: 'InvalidInput', persistence: 'once', answer: rollbackFailed('the IdP said InvalidInput', 1), settled: rolledBack(2) },
  { step: 'compensate', failure: 'InvalidInput', persistence: 'always', answer: rollbackFailed('the IdP said InvalidInput', 1), settled: handedOver(DELETED, 3) },
  { step: 'compensate', failure: 'Throttled', persistence: 'once', answer: rollbackFailed('the IdP said Throttled', 1), settled: rolledBack(2) },
  { step: 'compensate', failure: 'Throttled', persistence: 'always', answer: rollbackFailed('the IdP said Throttled', 1), settled: handedOver(DELETED, 3) },
  { step: 'compensate', failure: 'Unavailable', persistence: 'once', answer: rollbackFailed('the IdP said Unavailable', 1), settled: rolledBack(2) },
  { step: 'compensate', failure: 'Unavailable', persistence: 'always', answer: rollbackFailed('the IdP said Unavailable', 1), settled: handedOver(DELETED, 3) },
  { step: 'compensate', failure: 'Ambiguous', persistence: 'once', answer: rollbackFailed('the IdP said Ambiguous', 1), settled: rolledBack(2) },
  { step: 'compensate', failure: 'Ambiguous', persistence: 'always', answer: rollbackFailed('the IdP said Ambiguous', 1), settled: handedOver(DELETED, 3) },
  // The delete landed although its answer was lost: the retry's NotFound counts as done.
  { step: 'compensate', failure: 'Ambiguous, took effect', persistence: 'once', answer: rollbackFailed('the IdP said Ambiguous', 0), settled: rolledBack(2) },
  { step: 'compensate', failure: 'ProviderError', persistence: 'once', answer: rollbackFailed('the IdP said ProviderError', 1), settled: rolledBack(2) },
  { step: 'compensate', failure: 'ProviderError', persistence: 'always', answer: rollbackFailed('the IdP said ProviderError', 1), settled: handedOver(DELETED, 3) },
  { step: 'compensate', failure: '08006', persistence: 'once', answer: rollbackFailed('database temporarily unavailable', 1, []), settled: rolledBack(1) },
  { step: 'compensate', failure: '08006', persistence: 'always', answer: rollbackFailed('database temporarily unavailable', 1, []), settled: handedOver([], 0) },
  { step: 'compensate', failure: '40001', persistence: 'once', answer: rollbackFailed('database temporarily unavailable', 1, []), settled: rolledBack(1) },
  { step: 'compensate', failure: '40001', persistence: 'always', answer: rollbackFailed('database temporarily unavailable', 1, []), settled: handedOver([], 0) },
  { step: 'compensate', failure: '40P01', persistence: 'once', answer: rollbackFailed('database temporarily unavailable', 1, []), settled: rolledBack(1) },
  { step: 'compensate', failure: '40P01', persistence: 'always', answer: rollbackFailed('database temporarily unavailable', 1, []), settled: handedOver([], 0) },
  { step: 'compensate', failure: 'XX000', persistence: 'once', answer: rollbackFailed('unexpected error', 1, []), settled: rolledBack(1) },
  { step: 'compensate', failure: 'XX000', persistence: 'always', answer: rollbackFailed('unexpected error', 1, []), settled: handedOver([], 0) },
]

const identityOperations = [
  'createUser',
  'getUserById',
  'getUserByEmail',
  'deleteUser',
  'setEnabled',
  'listUsers',
  'isMfaEnabled',
  'resetMfa',
  'isEnabled',
  'signOut',
] as const

const timesOf = { once: 1, lasting: Number.POSITIVE_INFINITY, always: Number.POSITIVE_INFINITY }
// Database faults count inserts, so "for ever" is a number no row reaches.
const dbTimesOf = { once: 1, lasting: 1_000_000, always: 1_000_000 }

const sqlstateOf = (failure: Failure): string | undefined => /^[0-9A-Z]{5}/.exec(failure)?.[0]

describe.each(databaseTargets())('the register-user saga matrix on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    // No workers: the test is the background, so nothing races the rows' assertions.
    const s = useScriptedTestApp(database, { faults: true, saga: { compensationBudget: 3, leaseSeconds: 5 } })

    const installed = { done: false }
    const armRowFaults = async () => {
      if (!installed.done) await installRowFaults(database())
      installed.done = true
      await clearRowFaults(database())
    }

    const idpError = (failure: Failure) => () =>
      failure === 'exception'
        ? new Error('DB failure')
        : new IdentityProviderError(
            failure === 'Ambiguous, took effect' ? 'Ambiguous' : (failure as IdentityErrorReason),
            `the IdP said ${failure === 'Ambiguous, took effect' ? 'Ambiguous' : failure}`,
          )

    /** Arms the row's fault at the boundary its step crosses. */
    const inject = async ({ step, failure, persistence }: Row) => {
      const sqlstate = sqlstateOf(failure)
      const times = timesOf[persistence]
      if (step === 'create identity') {
        if (sqlstate === undefined) {
          s.idp.fail('createUser', idpError(failure), {
            times,
            afterForwarding: failure === 'Ambiguous, took effect',
          })
        } else {
          // Before the call: the attempt noted before it (pending → pending). After the call: the
          // move recording the user it returned.
          const condition = failure.endsWith('after the call')
            ? `to_state = 'identity_created'`
            : `from_state = 'pending' AND to_state = 'pending'`
          await injectRowFault(database(), 'registration_event', condition, sqlstate, dbTimesOf[persistence])
        }
      } else if (step === 'grant access') {
        if (sqlstate === undefined) {
          for (const operation of identityOperations)
            if (operation !== 'createUser') s.idp.fail(operation, idpError(failure), { times })
        } else {
          await injectDatabaseFault(database(), 'user_role', sqlstate, dbTimesOf[persistence])
        }
      } else {
        // A definitive failure granting access sends the registration to compensation.
        await injectDatabaseFault(database(), 'user_role', 'XX000', 1)
        if (sqlstate === undefined) {
          s.idp.fail('deleteUser', idpError(failure), {
            times,
            // NotFound means the user is gone: let the delete happen, then say so.
            afterForwarding: failure === 'NotFound' || failure === 'Ambiguous, took effect',
          })
        } else {
          await injectRowFault(
            database(),
            'users_audit',
            `action = 'Deleted user'`,
            sqlstate,
            dbTimesOf[persistence],
          )
        }
      }
    }

    const heal = async () => {
      s.idp.heal()
      await clearDatabaseFaults(database())
      await clearRowFaults(database())
    }

    /** What a job does, until the registration rests: final, or handed to a person. */
    const driveBackground = async (id: string) => {
      for (let job = 0; job < 10; job++) {
        const { retryLater } = await advanceRegistration(s.t.deps, s.t.deps.saga, id, 'worker')
        if (!retryLater) return
      }
      throw new Error(`registration ${id} still workable after 10 jobs`)
    }

    const fill = (text: string, values: { email: string; userId: string | null }) =>
      text.replaceAll('{email}', values.email).replaceAll('{userId}', values.userId ?? '')

    const runRow = async (row: Row) => {
      await armRowFaults()
      await inject(row)
      const email = uniqueEmail('matrix')
      const response = await s.t.app.inject({
        method: 'POST',
        url: '/api/step/users',
        headers: s.headers,
        payload: { email, name: 'Test User', organisation: 'Example Org', roles: [RESEARCHER_ROLE_ID] },
      })

      // The answer, and where the registration stands behind it.
      const atAnswer = await footprintOf(database(), email)
      expect(atAnswer.registrations).toHaveLength(1)
      const registration = await registrationById(database(), atAnswer.registrations[0]!.id)
      const body = response.json()
      expect({ status: response.statusCode, state: registration.state }).toEqual({
        status: row.answer.status,
        state: row.answer.state,
      })
      if (row.answer.status === 201) {
        expect(body).toMatchObject({ email, user_id: registration.userId, registration_id: registration.id })
      } else if (row.answer.status === 202) {
        expect(body).toMatchObject({
          email,
          state: row.answer.state,
          user_id: registration.userId,
          registration_id: registration.id,
        })
        expect(response.headers.location).toBe(`/api/step/users/${registration.id}`)
      } else {
        expect({ detail: body.detail, code: body.code }).toEqual({
          detail: fill(row.answer.detail!, { email, userId: registration.userId }),
          code: row.answer.code,
        })
      }
      // An internal exception's or the database's own text never reaches the caller.
      expect(response.body).not.toMatch(/DB failure|injected fault/)
      // Profile and grants exist only behind a 201: they commit with `completed`, exactly once.
      expect({
        idpUsers: atAnswer.identities.length,
        profile: atAnswer.profiles > 0,
        grants: atAnswer.grants,
        audit: atAnswer.audit,
      }).toEqual({
        idpUsers: row.answer.idpUsers,
        profile: row.answer.status === 201,
        grants: row.answer.status === 201 ? [RESEARCHER_ROLE_ID] : [],
        audit: row.answer.audit,
      })
      if (row.step === 'grant access' && sqlstateOf(row.failure) === undefined) {
        // The user id is the create call's `sub`: no read of a directory that may lag behind it.
        const { createUser: _, ...others } = s.idp.calls
        expect(Object.values(others).every((calls) => calls === 0)).toBe(true)
      }

      // The background, as the job engine would run it.
      if (row.persistence !== 'always') await heal()
      await driveBackground(registration.id)

      const settled = await registrationById(database(), registration.id)
      const footprint = await footprintOf(database(), email)
      expect({
        state: settled.state,
        idpUsers: footprint.identities.length,
        profile: footprint.profiles > 0,
        grants: footprint.grants.length > 0,
        audit: footprint.audit,
        events: await transitionsOf(database(), registration.id),
        idpDeletes: s.idp.calls.deleteUser,
      }).toEqual(row.settled)
      if (settled.state === 'completed') {
        expect(footprint.identities).toEqual([settled.userId])
        expect(footprint.grants).toEqual([RESEARCHER_ROLE_ID])
      }
      if (settled.state === 'needs_attention')
        expect(settled.compensationAttempts).toBe(s.t.deps.saga.compensationBudget)
      // The operator's route tells the same story.
      const view = await s.t.app.inject({ url: `/api/step/users/${registration.id}`, headers: s.headers })
      expect(view.json()).toMatchObject({ state: row.settled.state, user_id: settled.userId })
      expect(await orphans(database())).toEqual({ identitiesWithoutGrants: [], grantsWithoutIdentity: [] })
      expect(await invalidEventPaths(database())).toEqual([])
    }

    for (const step of ['create identity', 'grant access', 'compensate'] as const) {
      describe(step, () => {
        const rows = matrix.filter((row) => row.step === step)
        it.each(rows.filter((row) => !row.specMismatch))(
          '$failure ($persistence) → $answer.status, $settled.state',
          runRow,
        )
        const mismatches = rows.filter((row) => row.specMismatch)
        if (mismatches.length > 0)
          it.fails.each(mismatches)(
            'SPEC MISMATCH: $failure ($persistence) should be $answer.status, $settled.state: $specMismatch',
            runRow,
          )
      })
    }
  })
})
