import { beforeEach, expect, it } from 'vitest'
import type { Database } from '../../src/db/database.js'
import type { RegistrationState } from '../../src/domain/registration-state.js'
import { advanceRegistration } from '../../src/features/register-user/register-user.saga.js'
import { type IdentityErrorReason, IdentityProviderError } from '../../src/identity/identity-errors.js'
import { footprintOf, registrationById, transitionsOf } from '../register-user/saga-assertions.js'
import { clearDatabaseFaults, firedDatabaseFaults, injectDatabaseFault } from './database-faults.js'
import { clearRowFaults, firedRowFaults, injectRowFault, installRowFaults } from './row-faults.js'
import type { ScriptedApp } from './scripted-test-app.js'

/*
 * The machinery of test/register-user/saga-matrix.test.ts: what a row of the matrix says, how its
 * fault is armed at the boundary its step crosses, how the background is driven to rest, and
 * how the answer and the settled state are read back. The tables and the per-endpoint runners
 * stay in the test file.
 */

export type Step =
  // The step function's and phase 1's steps; recording the intent comes before any of them.
  | 'record intent'
  | 'create identity'
  | 'grant access'
  | 'record profile'
  | 'compensate'
  // The delete's: the IdP lookup, the database side (with the record), the IdP delete.
  | 'look up'
  | 'database side'
  | 'IdP delete'

export type Failure =
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
  /** The same, on the write recording what the IdP call did (the user it created, the delete). */
  | '08006 after the call'
  | '40001 after the call'
  | '40P01 after the call'
  | 'XX000 after the call'

/**
 * once: the first call fails, the next succeeds (inline retries may cure it);
 * lasting: fails through every inline retry, then clears before the background runs;
 * always: never clears, so the background spends its budget (compensation → needs_attention).
 */
export type Persistence = 'once' | 'lasting' | 'always'

export interface Row {
  step: Step
  failure: Failure
  persistence: Persistence
  /**
   * The HTTP answer, and where things stand behind it. `detail` may name `{email}` and
   * `{userId}`; `state` is the record's, null when none was written.
   */
  answer: {
    status: number
    detail?: string
    code?: string
    state: RegistrationState | null
    idpUsers: number
    audit: readonly string[]
  }
  /** Once the background has nothing more to do. */
  settled: {
    state: RegistrationState | null
    idpUsers: number
    profile: boolean
    grants: boolean
    audit: readonly string[]
    /** The record's moves (progress noted without a move left out). */
    events: readonly string[]
    /** IdP deleteUser calls in all: the undo or the delete, and how often it ran. */
    idpDeletes: number
  }
  /** A row where today's code disagrees with SPEC §4: it states SPEC's outcome and is expected to fail. */
  specMismatch?: string
}

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

export const sqlstateOf = (failure: Failure): string | undefined => /^[0-9A-Z]{5}/.exec(failure)?.[0]

const idpError = (failure: Failure) => () => {
  if (failure === 'exception') return new Error('DB failure')
  const reason = failure === 'Ambiguous, took effect' ? 'Ambiguous' : (failure as IdentityErrorReason)
  return new IdentityProviderError(reason, `the IdP said ${reason}`)
}

const fill = (text: string, values: { email: string; userId: string | null }) =>
  text.replaceAll('{email}', values.email).replaceAll('{userId}', values.userId ?? '')

const title = '$step × $failure ($persistence) → $answer.status, then $settled.state'
const mismatchTitle = `SPEC MISMATCH (expected to fail until fixed): ${title}: $specMismatch`

/** The rows as tests; a SPEC mismatch states SPEC's outcome and is expected to fail today. */
export const eachRow = (rows: Row[], run: (row: Row) => Promise<void>) => {
  const agreeing = rows.filter((row) => !row.specMismatch)
  const mismatches = rows.filter((row) => row.specMismatch)
  if (agreeing.length > 0) it.each(agreeing)(title, run)
  if (mismatches.length > 0) it.fails.each(mismatches)(mismatchTitle, run)
}

/**
 * The matrix's harness for one app and database: arms a row's fault, drives the background as a
 * job would, and reads back where things stand. Registers a `beforeEach` (row faults installed
 * once, cleared before every row); call it inside the describe block, after `useScriptedTestApp`.
 */
export const useSagaMatrix = (database: () => Database, s: ScriptedApp) => {
  // Installed once; cleared before every row, so a fault a row left armed cannot reach the next.
  let rowFaultsInstalled = false
  beforeEach(async () => {
    if (!rowFaultsInstalled) await installRowFaults(database())
    rowFaultsInstalled = true
    await clearRowFaults(database())
  })
  const heal = async () => {
    s.idp.heal()
    await clearDatabaseFaults(database())
    await clearRowFaults(database())
  }

  /** Arms the row's fault at the boundary its step crosses. */
  const inject = async ({ step, failure, persistence }: Row) => {
    const sqlstate = sqlstateOf(failure)
    const times = timesOf[persistence]
    const dbTimes = dbTimesOf[persistence]
    // The IdP user is really gone when the IdP says NotFound to a delete, or an ambiguous
    // delete took effect: let the call through, then answer so.
    const deleteForwards = failure === 'NotFound' || failure === 'Ambiguous, took effect'
    switch (step) {
      case 'record intent':
        // The record and its first event are one statement: failing the event fails the insert.
        return injectRowFault(database(), 'registration_event', 'from_state IS NULL', sqlstate!, dbTimes)
      case 'create identity':
        if (sqlstate === undefined)
          return s.idp.fail('createUser', idpError(failure), {
            times,
            afterForwarding: failure === 'Ambiguous, took effect',
          })
        // Before the call: an attempt noted before it (the background's; the request's first
        // attempt is recorded with the insert). After: the move recording its user.
        return injectRowFault(
          database(),
          'registration_event',
          failure.endsWith('after the call')
            ? `to_state = 'identity_created'`
            : `from_state = 'pending' AND to_state = 'pending'`,
          sqlstate,
          dbTimes,
        )
      case 'grant access':
      case 'record profile':
        if (sqlstate === undefined) {
          // The step makes no IdP call: whatever the IdP would answer, it is not asked.
          for (const operation of identityOperations)
            if (operation !== 'createUser') s.idp.fail(operation, idpError(failure), { times })
          return
        }
        return injectDatabaseFault(
          database(),
          step === 'grant access' ? 'user_role' : 'user_profile',
          sqlstate,
          dbTimes,
        )
      case 'compensate':
        // A definitive failure completing the record sends it to compensation. The step
        // function's grants and phase 1's profile are both inserted there; the profile first.
        await injectDatabaseFault(database(), 'user_profile', 'XX000', 1)
        if (sqlstate === undefined)
          return s.idp.fail('deleteUser', idpError(failure), { times, afterForwarding: deleteForwards })
        return injectRowFault(database(), 'users_audit', `action = 'Deleted user'`, sqlstate, dbTimes)
      case 'look up':
        return s.idp.fail('getUserById', idpError(failure), { times })
      case 'database side':
        return injectRowFault(database(), 'users_audit', `action = 'Deleted user'`, sqlstate!, dbTimes)
      case 'IdP delete':
        if (sqlstate === undefined)
          return s.idp.fail('deleteUser', idpError(failure), { times, afterForwarding: deleteForwards })
        return injectRowFault(database(), 'registration_event', `to_state = 'deleted'`, sqlstate, dbTimes)
    }
  }

  /** What a job does, until the record rests: final, or handed to a person. */
  const driveBackground = async (row: Row, id: string | undefined) => {
    if (row.persistence !== 'always') await heal()
    if (id === undefined) return
    for (let job = 0; job < 10; job++) {
      const { retryLater } = await advanceRegistration(s.t.deps, s.t.deps.saga, id, 'worker')
      if (!retryLater) return
    }
    throw new Error(`record ${id} still workable after 10 jobs`)
  }

  const expectProblem = (
    response: { body: string; json(): { detail?: string; code?: string } },
    row: Row,
    values: { email: string; userId: string | null },
  ) => {
    const { detail, code } = response.json()
    expect({ detail, code }).toEqual({ detail: fill(row.answer.detail!, values), code: row.answer.code })
  }

  const footprintNow = async (email: string, id: string | undefined) => {
    const footprint = await footprintOf(database(), email)
    return {
      state: id === undefined ? null : (await registrationById(database(), id)).state,
      idpUsers: footprint.identities.length,
      profile: footprint.profiles > 0,
      grants: footprint.grants.length > 0,
      audit: footprint.audit,
      events: id === undefined ? [] : await transitionsOf(database(), id),
      idpDeletes: s.idp.calls.deleteUser,
    }
  }

  const atAnswer = async (row: Row, email: string, id: string | undefined) => {
    if (sqlstateOf(row.failure) !== undefined) {
      // The row's fault really fired: a step that stops writing the row a fault targets fails
      // the row, rather than letting it pass without any fault.
      const fired =
        row.step === 'grant access' || row.step === 'record profile'
          ? await firedDatabaseFaults(database())
          : await firedRowFaults(database())
      expect(fired, 'inserts the injected database fault failed').toBeGreaterThan(0)
    }
    const now = await footprintNow(email, id)
    expect({ state: now.state, idpUsers: now.idpUsers, audit: now.audit }).toEqual({
      state: row.answer.state,
      idpUsers: row.answer.idpUsers,
      audit: row.answer.audit,
    })
    if ((row.step === 'grant access' || row.step === 'record profile') && !sqlstateOf(row.failure)) {
      // The user id is the create call's `sub`: no read of a directory that may lag behind it.
      const { createUser: _, ...others } = s.idp.calls
      expect(Object.values(others).every((calls) => calls === 0)).toBe(true)
    }
    return now
  }

  const settledMatches = async (row: Row, email: string, id: string | undefined) => {
    expect(await footprintNow(email, id)).toEqual(row.settled)
    if (id === undefined) return
    const settled = await registrationById(database(), id)
    if (settled.state === 'needs_attention')
      expect(settled.compensationAttempts).toBe(s.t.deps.saga.compensationBudget)
    return settled
  }

  return { inject, driveBackground, expectProblem, atAnswer, settledMatches }
}
