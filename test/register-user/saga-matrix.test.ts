import { sql } from 'drizzle-orm'
import { describe, expect } from 'vitest'
import { RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { uniqueEmail } from '../support/factories.js'
import { invalidRecordPaths, unaccountedRows } from '../support/record-invariants.js'
import { invalidEventPaths, orphans } from '../support/registration-invariants.js'
import { eachRow, type Row, useSagaMatrix } from '../support/saga-matrix.js'
import { type ScriptedApp, useScriptedTestApp } from '../support/scripted-test-app.js'
import { rowsOf } from '../support/sql-rows.js'
import { databaseTargets, useTestDatabase } from '../support/test-database.js'
import { footprintOf, registrationById } from './saga-assertions.js'

/*
 * The durable sagas as a matrix (SPEC §4, CONVENTIONS "Tests"): every step × every failure kind ×
 * how long the failure lasts → the answer, where the record stands, what the identity provider
 * and the database hold, its events, and nothing left unaccounted for. Three tables, one per
 * endpoint: the step function (`POST /api/step/users`), phase 1 alone (`POST /api/users`) and the
 * delete (`DELETE /api/users/{id}`). Faults are injected only at the boundaries: the scripted
 * identity provider, and triggers in the real database raising the SQLSTATE a real failure
 * would. The background is driven by calling the saga as a job does (`advanceRegistration` as
 * `worker`), not by waiting for the job engine, so a row costs a request and a few steps; the
 * job engine itself is covered by background-retries.test.ts and saga-faults.test.ts.
 */

const GRANTED = ['Registered user', 'Updated user roles']
const PROFILED = ['Registered user']
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

// ── The step function: POST /api/step/users ────────────────────────────────────────────────

/** Recording the intent failed: no record, nothing anywhere. */
const nothingRecorded = (status: number, detail: string, code: string) =>
  ({ status, detail, code, state: null, idpUsers: 0, audit: [] }) as const
const nothing = {
  state: null,
  idpUsers: 0,
  profile: false,
  grants: false,
  audit: [],
  events: [],
  idpDeletes: 0,
} as const
const DB_DOWN = 'The database is temporarily unavailable; try again'
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
const stepFunction: Row[] = [
  // ── record intent (∅ → pending): the insert, before any side effect; retried inline ────────
  { step: 'record intent', failure: '08006', persistence: 'once', answer: created, settled: completed },
  { step: 'record intent', failure: '08006', persistence: 'lasting', answer: nothingRecorded(503, DB_DOWN, 'database.unavailable'), settled: nothing },
  { step: 'record intent', failure: '40001', persistence: 'once', answer: created, settled: completed },
  { step: 'record intent', failure: '40P01', persistence: 'once', answer: created, settled: completed },
  { step: 'record intent', failure: 'XX000', persistence: 'once', answer: nothingRecorded(500, 'Internal server error', 'internal.unexpected'), settled: nothing },
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
  // The IdP user exists but its record failed: the retry adopts it (created after we began, no grants).
  { step: 'create identity', failure: '08006 after the call', persistence: 'once', answer: created, settled: completed },
  { step: 'create identity', failure: '08006 after the call', persistence: 'lasting', answer: accepted('pending', 1), settled: completed },
  { step: 'create identity', failure: '40001 after the call', persistence: 'once', answer: created, settled: completed },
  { step: 'create identity', failure: '40001 after the call', persistence: 'lasting', answer: accepted('pending', 1), settled: completed },
  { step: 'create identity', failure: '40P01 after the call', persistence: 'once', answer: created, settled: completed },
  { step: 'create identity', failure: '40P01 after the call', persistence: 'lasting', answer: accepted('pending', 1), settled: completed },
  { step: 'create identity', failure: 'XX000 after the call', persistence: 'once', answer: rolledBackAnswer, settled: rolledBack(1) },

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

// ── Phase 1 alone: POST /api/users (kind `identity`) ───────────────────────────────────────
// The same steps, but a profile and no grants, FLIP's 200 IUserResponse, and FLIP's errors: a
// create that did not take effect fails at once; a record still being finished answers that
// error (503) with a Location. Compensation is the step function's own step, so its table above
// holds every IdP kind × persistence; here a few rows show the phase-1 answers.

const profiled = { ...completed, grants: false, audit: PROFILED } as const
const phaseOneCreated = { status: 200, state: 'completed', idpUsers: 1, audit: PROFILED } as const
const IDP_THROTTLED = 'The identity provider is throttling requests; please retry later.'
const IDP_UNAVAILABLE = 'The identity provider is unavailable; please try again.'
const IDP_AMBIGUOUS = 'The identity provider did not confirm the change; please verify and retry.'
const DB_UNAVAILABLE = 'The database is unavailable; please try again.'
const stillWorking = (
  state: 'pending' | 'identity_created',
  idpUsers: number,
  code: string,
  detail: string,
) => ({ status: 503, detail, code, state, idpUsers, audit: [] }) as const
const phaseOneRolledBack = {
  status: 500,
  detail: 'Failed to register user. Please try again.',
  code: 'user.register_failed',
  state: 'rolled_back',
  idpUsers: 0,
  audit: DELETED,
} as const
const phaseOneRollbackFailed = (idpUsers: number, audit: readonly string[] = DELETED) =>
  ({
    status: 500,
    detail:
      'Failed to register user; rollback also failed. Manual cleanup of the identity-provider user required.',
    code: 'user.register_rollback_failed',
    state: 'compensating',
    idpUsers,
    audit,
  }) as const
const phaseOneRolledBackSettled = (idpDeletes: number) => ({ ...rolledBack(idpDeletes) }) as const

// biome-ignore format: the matrix reads as a table, one row a line
const phaseOne: Row[] = [
  { step: 'record intent', failure: '08006', persistence: 'once', answer: phaseOneCreated, settled: profiled },
  { step: 'record intent', failure: '08006', persistence: 'lasting', answer: nothingRecorded(503, DB_DOWN, 'database.unavailable'), settled: nothing },
  { step: 'record intent', failure: '40001', persistence: 'once', answer: phaseOneCreated, settled: profiled },
  { step: 'record intent', failure: 'XX000', persistence: 'once', answer: nothingRecorded(500, 'Internal server error', 'internal.unexpected'), settled: nothing },
  { step: 'create identity', failure: 'NotFound', persistence: 'once', answer: refused(500, 'Failed to create user', 'user.create_failed'), settled: failed },
  { step: 'create identity', failure: 'AlreadyExists', persistence: 'once', answer: refused(409, 'User with email {email} already exists', 'user.email_exists'), settled: failed },
  { step: 'create identity', failure: 'InvalidInput', persistence: 'once', answer: refused(400, 'Invalid email address format', 'user.invalid_email'), settled: failed },
  // Nothing exists to finish or undo: FLIP's answer at once, and the caller's retry is a fresh one.
  { step: 'create identity', failure: 'Throttled', persistence: 'once', answer: refused(429, IDP_THROTTLED, 'idp.throttled'), settled: failed },
  { step: 'create identity', failure: 'Unavailable', persistence: 'once', answer: refused(503, IDP_UNAVAILABLE, 'idp.unavailable'), settled: failed },
  { step: 'create identity', failure: 'Ambiguous', persistence: 'once', answer: phaseOneCreated, settled: profiled },
  { step: 'create identity', failure: 'Ambiguous', persistence: 'lasting', answer: stillWorking('pending', 0, 'idp.ambiguous', IDP_AMBIGUOUS), settled: profiled },
  { step: 'create identity', failure: 'Ambiguous, took effect', persistence: 'once', answer: phaseOneCreated, settled: profiled },
  { step: 'create identity', failure: 'ProviderError', persistence: 'once', answer: refused(500, 'Failed to create user', 'user.create_failed'), settled: failed },
  { step: 'create identity', failure: 'exception', persistence: 'once', answer: refused(500, 'Internal server error', 'internal.unexpected'), settled: failed },
  { step: 'create identity', failure: '08006 after the call', persistence: 'once', answer: phaseOneCreated, settled: profiled },
  { step: 'create identity', failure: '08006 after the call', persistence: 'lasting', answer: stillWorking('pending', 1, 'database.unavailable', DB_UNAVAILABLE), settled: profiled },
  { step: 'create identity', failure: 'XX000 after the call', persistence: 'once', answer: phaseOneRolledBack, settled: phaseOneRolledBackSettled(1) },
  { step: 'record profile', failure: 'Unavailable', persistence: 'always', answer: phaseOneCreated, settled: profiled },
  { step: 'record profile', failure: 'NotFound', persistence: 'always', answer: phaseOneCreated, settled: profiled },
  { step: 'record profile', failure: '08006', persistence: 'once', answer: phaseOneCreated, settled: profiled },
  { step: 'record profile', failure: '08006', persistence: 'lasting', answer: stillWorking('identity_created', 1, 'database.unavailable', DB_UNAVAILABLE), settled: profiled },
  { step: 'record profile', failure: '40001', persistence: 'once', answer: phaseOneCreated, settled: profiled },
  { step: 'record profile', failure: '40001', persistence: 'lasting', answer: stillWorking('identity_created', 1, 'database.unavailable', DB_UNAVAILABLE), settled: profiled },
  { step: 'record profile', failure: '40P01', persistence: 'once', answer: phaseOneCreated, settled: profiled },
  { step: 'record profile', failure: '40P01', persistence: 'lasting', answer: stillWorking('identity_created', 1, 'database.unavailable', DB_UNAVAILABLE), settled: profiled },
  { step: 'record profile', failure: '23514', persistence: 'once', answer: phaseOneRolledBack, settled: phaseOneRolledBackSettled(1) },
  { step: 'record profile', failure: 'XX000', persistence: 'once', answer: phaseOneRolledBack, settled: phaseOneRolledBackSettled(1) },
  { step: 'compensate', failure: 'NotFound', persistence: 'always', answer: phaseOneRolledBack, settled: phaseOneRolledBackSettled(1) },
  { step: 'compensate', failure: 'Unavailable', persistence: 'once', answer: phaseOneRollbackFailed(1), settled: phaseOneRolledBackSettled(2) },
  { step: 'compensate', failure: 'Unavailable', persistence: 'always', answer: phaseOneRollbackFailed(1), settled: handedOver(DELETED, 3) },
  { step: 'compensate', failure: 'ProviderError', persistence: 'once', answer: phaseOneRollbackFailed(1), settled: phaseOneRolledBackSettled(2) },
  { step: 'compensate', failure: '08006', persistence: 'once', answer: phaseOneRollbackFailed(1, []), settled: phaseOneRolledBackSettled(1) },
  { step: 'compensate', failure: 'XX000', persistence: 'always', answer: phaseOneRollbackFailed(1, []), settled: handedOver([], 0) },
]

// ── The delete: DELETE /api/users/{id} (kind `delete`) ─────────────────────────────────────
// Each row deletes a user the step function registered (IdP user, profile, Researcher grant, two
// audit rows). The database side (grants, profile, account status, audit) commits together with
// the record, before the IdP delete; a transient IdP failure is finished in the background with
// compensation's budget; a definitive refusal keeps FLIP's 500 and leaves the IdP user, with no
// authority, on record in `failed` (issue 11 §6).

const GONE = [...GRANTED, 'Deleted user']
const DELETE_FAILED =
  'Role grants revoked, but identity-provider user deletion failed. The user can still authenticate with zero app authority — manual identity-provider cleanup required.'
const intact = {
  state: null,
  idpUsers: 1,
  profile: true,
  grants: true,
  audit: GRANTED,
  events: [],
  idpDeletes: 0,
} as const
const untouched = (status: number, detail: string, code: string) =>
  ({ status, detail, code, state: null, idpUsers: 1, audit: GRANTED }) as const
const deletedInline = { status: 200, state: 'deleted', idpUsers: 0, audit: GONE } as const
const acceptedDeletion = (idpUsers: number) =>
  ({ status: 202, state: 'deleting', idpUsers, audit: GONE }) as const
const refusedDeletion = {
  status: 500,
  detail: DELETE_FAILED,
  code: 'user.delete_identity_failed',
  state: 'failed',
  idpUsers: 1,
  audit: GONE,
} as const
const deletion = (state: 'deleted' | 'failed' | 'needs_attention', idpDeletes: number) =>
  ({
    state,
    idpUsers: state === 'deleted' ? 0 : 1,
    profile: false,
    grants: false,
    audit: GONE,
    events: ['∅→deleting', `deleting→${state}`],
    idpDeletes,
  }) as const

// biome-ignore format: the matrix reads as a table, one row a line
const deletes: Row[] = [
  // The IdP no longer knows the user: the database side alone, no record, nothing left to do.
  { step: 'look up', failure: 'NotFound', persistence: 'once', answer: { status: 200, state: null, idpUsers: 0, audit: GONE }, settled: { ...intact, idpUsers: 0, profile: false, grants: false, audit: GONE } },
  { step: 'look up', failure: 'AlreadyExists', persistence: 'once', answer: untouched(500, 'the IdP said AlreadyExists', 'idp.failed'), settled: intact },
  { step: 'look up', failure: 'InvalidInput', persistence: 'once', answer: untouched(422, 'the IdP said InvalidInput', 'idp.invalid_input'), settled: intact },
  { step: 'look up', failure: 'Throttled', persistence: 'once', answer: untouched(429, IDP_THROTTLED, 'idp.throttled'), settled: intact },
  { step: 'look up', failure: 'Unavailable', persistence: 'once', answer: untouched(503, IDP_UNAVAILABLE, 'idp.unavailable'), settled: intact },
  { step: 'look up', failure: 'Ambiguous', persistence: 'once', answer: untouched(503, IDP_AMBIGUOUS, 'idp.ambiguous'), settled: intact },
  { step: 'look up', failure: 'ProviderError', persistence: 'once', answer: untouched(500, 'the IdP said ProviderError', 'idp.failed'), settled: intact },
  { step: 'look up', failure: 'exception', persistence: 'once', answer: untouched(500, 'Internal server error', 'internal.unexpected'), settled: intact },
  // The transaction fails as a whole: nothing written, the caller may simply try again.
  { step: 'database side', failure: '08006', persistence: 'once', answer: untouched(503, DB_DOWN, 'database.unavailable'), settled: intact },
  { step: 'database side', failure: '40001', persistence: 'once', answer: untouched(503, DB_DOWN, 'database.unavailable'), settled: intact },
  { step: 'database side', failure: '40P01', persistence: 'once', answer: untouched(503, DB_DOWN, 'database.unavailable'), settled: intact },
  { step: 'database side', failure: 'XX000', persistence: 'once', answer: untouched(500, 'Internal server error', 'internal.unexpected'), settled: intact },
  { step: 'IdP delete', failure: 'NotFound', persistence: 'always', answer: deletedInline, settled: deletion('deleted', 1) },
  { step: 'IdP delete', failure: 'AlreadyExists', persistence: 'once', answer: refusedDeletion, settled: deletion('failed', 1) },
  { step: 'IdP delete', failure: 'InvalidInput', persistence: 'once', answer: refusedDeletion, settled: deletion('failed', 1) },
  { step: 'IdP delete', failure: 'Throttled', persistence: 'once', answer: acceptedDeletion(1), settled: deletion('deleted', 2) },
  { step: 'IdP delete', failure: 'Throttled', persistence: 'always', answer: acceptedDeletion(1), settled: deletion('needs_attention', 3) },
  { step: 'IdP delete', failure: 'Unavailable', persistence: 'once', answer: acceptedDeletion(1), settled: deletion('deleted', 2) },
  { step: 'IdP delete', failure: 'Unavailable', persistence: 'always', answer: acceptedDeletion(1), settled: deletion('needs_attention', 3) },
  { step: 'IdP delete', failure: 'Ambiguous', persistence: 'once', answer: acceptedDeletion(1), settled: deletion('deleted', 2) },
  { step: 'IdP delete', failure: 'Ambiguous', persistence: 'always', answer: acceptedDeletion(1), settled: deletion('needs_attention', 3) },
  { step: 'IdP delete', failure: 'Ambiguous, took effect', persistence: 'once', answer: acceptedDeletion(0), settled: deletion('deleted', 2) },
  { step: 'IdP delete', failure: 'ProviderError', persistence: 'once', answer: refusedDeletion, settled: deletion('failed', 1) },
  { step: 'IdP delete', failure: 'exception', persistence: 'once', answer: refusedDeletion, settled: deletion('failed', 1) },
  // The IdP user is gone but the record's move failed: the retry's NotFound counts as done.
  { step: 'IdP delete', failure: '08006 after the call', persistence: 'once', answer: deletedInline, settled: deletion('deleted', 2) },
  { step: 'IdP delete', failure: '08006 after the call', persistence: 'lasting', answer: acceptedDeletion(0), settled: deletion('deleted', 4) },
  { step: 'IdP delete', failure: '40001 after the call', persistence: 'once', answer: deletedInline, settled: deletion('deleted', 2) },
  { step: 'IdP delete', failure: '40P01 after the call', persistence: 'once', answer: deletedInline, settled: deletion('deleted', 2) },
  { step: 'IdP delete', failure: 'XX000 after the call', persistence: 'once', answer: acceptedDeletion(0), settled: deletion('deleted', 2) },
]

describe.each(databaseTargets())('the durable sagas as a matrix on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    // No workers: the test is the background, so nothing races the rows' assertions.
    const s: ScriptedApp = useScriptedTestApp(database, {
      faults: true,
      saga: { compensationBudget: 3, leaseSeconds: 5 },
    })

    const { inject, driveBackground, expectProblem, atAnswer, settledMatches } = useSagaMatrix(database, s)

    const registerPayload = (email: string) => ({
      email,
      name: 'Test User',
      organisation: 'Example Org',
      roles: [RESEARCHER_ROLE_ID],
    })

    /** The one record a request made, or undefined when recording it failed. */
    const recordOf = async (row: Row, email: string) => {
      const { registrations } = await footprintOf(database(), email)
      expect(registrations).toHaveLength(row.answer.state === null ? 0 : 1)
      return registrations[0]?.id
    }

    describe('POST /api/step/users', () => {
      const run = async (row: Row) => {
        await inject(row)
        const email = uniqueEmail('matrix')
        const response = await s.t.app.inject({
          method: 'POST',
          url: '/api/step/users',
          headers: s.headers,
          payload: registerPayload(email),
        })
        const id = await recordOf(row, email)
        const userId = id === undefined ? null : (await registrationById(database(), id)).userId
        expect(response.statusCode).toBe(row.answer.status)
        const body = response.json()
        if (row.answer.status === 201) {
          expect(body).toMatchObject({ email, user_id: userId, registration_id: id })
        } else if (row.answer.status === 202) {
          expect(body).toMatchObject({ email, state: row.answer.state, user_id: userId, registration_id: id })
          expect(response.headers.location).toBe(`/api/step/users/${id}`)
        } else {
          expectProblem(response, row, { email, userId })
        }
        // An internal exception's or the database's own text never reaches the caller.
        expect(response.body).not.toMatch(/DB failure|injected fault/)
        const now = await atAnswer(row, email, id)
        // Profile and grants exist only behind a 201: they commit with `completed`, exactly once.
        expect({ profile: now.profile, grants: now.grants }).toEqual({
          profile: row.answer.status === 201,
          grants: row.answer.status === 201,
        })

        await driveBackground(row, id)
        const settled = await settledMatches(row, email, id)
        if (settled?.state === 'completed')
          expect((await footprintOf(database(), email)).identities).toEqual([settled.userId])
        // The operator's route tells the same story.
        if (id !== undefined) {
          const view = await s.t.app.inject({ url: `/api/step/users/${id}`, headers: s.headers })
          expect(view.json()).toMatchObject({ state: row.settled.state, user_id: settled?.userId })
        }
        expect(await orphans(database())).toEqual({ identitiesWithoutGrants: [], grantsWithoutIdentity: [] })
        expect(await invalidEventPaths(database())).toEqual([])
      }
      for (const step of ['record intent', 'create identity', 'grant access', 'compensate'] as const)
        describe(step, () =>
          eachRow(
            stepFunction.filter((row) => row.step === step),
            run,
          ),
        )
    })

    describe('POST /api/users', () => {
      const run = async (row: Row) => {
        await inject(row)
        const email = uniqueEmail('phase-one')
        const response = await s.t.app.inject({
          method: 'POST',
          url: '/api/users',
          headers: s.headers,
          payload: registerPayload(email),
        })
        const id = await recordOf(row, email)
        const record = id === undefined ? undefined : await registrationById(database(), id)
        expect({ status: response.statusCode, kind: record?.kind }).toEqual({
          status: row.answer.status,
          kind: id === undefined ? undefined : 'identity',
        })
        if (row.answer.status === 200) {
          // FLIP's IUserResponse, camelCase.
          expect(response.json()).toEqual({
            email,
            name: 'Test User',
            organisation: 'Example Org',
            roles: [RESEARCHER_ROLE_ID],
            trustId: null,
            userId: record?.userId,
          })
        } else {
          expectProblem(response, row, { email, userId: record?.userId ?? null })
          expect(response.headers.location).toBe(id === undefined ? undefined : `/api/step/users/${id}`)
        }
        expect(response.body).not.toMatch(/DB failure|injected fault/)
        const now = await atAnswer(row, email, id)
        // A profile behind a 200 only; phase 1 never grants a role.
        expect({ profile: now.profile, grants: now.grants }).toEqual({
          profile: row.answer.status === 200,
          grants: false,
        })

        await driveBackground(row, id)
        await settledMatches(row, email, id)
        expect(await unaccountedRows(database())).toEqual({
          identities: [],
          grantsWithoutIdentity: [],
          profilesWithoutIdentity: [],
        })
        expect(await invalidRecordPaths(database())).toEqual([])
      }
      for (const step of ['record intent', 'create identity', 'record profile', 'compensate'] as const)
        describe(step, () =>
          eachRow(
            phaseOne.filter((row) => row.step === step),
            run,
          ),
        )
    })

    describe('DELETE /api/users/{id}', () => {
      const run = async (row: Row) => {
        const email = uniqueEmail('doomed')
        const registered = await s.t.app.inject({
          method: 'POST',
          url: '/api/step/users',
          headers: s.headers,
          payload: registerPayload(email),
        })
        expect(registered.statusCode).toBe(201)
        const userId = registered.json().user_id as string
        if (row.step === 'look up' && row.failure === 'NotFound') {
          // Gone from the IdP already (another admin's delete got there first).
          await s.idp.deleteUser(
            (await registrationById(database(), registered.json().registration_id)).username!,
          )
        } else {
          await inject(row)
        }
        s.idp.resetCalls()

        const response = await s.t.app.inject({
          method: 'DELETE',
          url: `/api/users/${userId}`,
          headers: s.headers,
        })
        const [record] = await rowsOf<{ id: string }>(
          database(),
          sql`SELECT id FROM registration WHERE kind = 'delete' AND user_id = ${userId}`,
        )
        const id = record?.id
        expect(response.statusCode).toBe(row.answer.status)
        if (row.answer.status === 200) expect(response.json()).toEqual({})
        else if (row.answer.status === 202) {
          expect(response.json()).toEqual({ deletion_id: id, state: 'deleting' })
          expect(response.headers.location).toBe(`/api/users/deletions/${id}`)
        } else expectProblem(response, row, { email, userId })
        expect(response.body).not.toMatch(/DB failure|injected fault/)
        // The database side and the record commit together, or neither does.
        const now = await atAnswer(row, email, id)
        expect({ profile: now.profile, grants: now.grants }).toEqual({
          profile: row.answer.audit === GRANTED,
          grants: row.answer.audit === GRANTED,
        })

        await driveBackground(row, id)
        const settled = await settledMatches(row, email, id)
        if (id !== undefined) {
          const view = await s.t.app.inject({ url: `/api/users/deletions/${id}`, headers: s.headers })
          expect(view.json()).toMatchObject({ kind: 'delete', state: row.settled.state, user_id: userId })
          if (settled?.state === 'failed') expect(view.json().last_error).toBe(DELETE_FAILED)
        }
        // A refused delete leaves its IdP user, with no authority, on record; nothing else is left.
        expect(await unaccountedRows(database())).toEqual({
          identities: settled?.state === 'failed' ? [{ id: userId }] : [],
          grantsWithoutIdentity: [],
          profilesWithoutIdentity: [],
        })
        expect(await invalidRecordPaths(database())).toEqual([])
      }
      for (const step of ['look up', 'database side', 'IdP delete'] as const)
        describe(step, () =>
          eachRow(
            deletes.filter((row) => row.step === step),
            run,
          ),
        )
    })
  })
})
