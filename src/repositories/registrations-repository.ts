import { and, asc, desc, eq, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm'
import type { Db } from '../db/database.js'
import { registration, registrationEvent } from '../db/schema/index.js'
import {
  activeStates,
  initialStateOf,
  isAllowedTransition,
  type RegistrationKind,
  type RegistrationState,
  workableStates,
} from '../domain/registration-state.js'
import {
  type AlongsideWrites,
  buildTransition,
  type EventRow,
  encoded,
  eventsJson,
  insertStatement,
  transitionStatements,
} from './registration-write-statements.js'

export type Registration = Omit<typeof registration.$inferSelect, 'state' | 'kind'> & {
  state: RegistrationState
  kind: RegistrationKind
}
export type RegistrationEvent = typeof registrationEvent.$inferSelect
export type NewRegistration = Pick<
  typeof registration.$inferInsert,
  | 'email'
  | 'emailNormalised'
  | 'name'
  | 'organisation'
  | 'roleIds'
  | 'trustId'
  | 'requestedBy'
  | 'idempotencyKey'
  | 'requestHash'
> &
  Partial<Pick<typeof registration.$inferInsert, 'userId' | 'username' | 'createAttemptedAt'>> & {
    kind?: RegistrationKind
  }

export type { EventRow } from './registration-write-statements.js'

export const ACTIVE_EMAIL_CONSTRAINT = 'uq_registration_active_email'

/** Fields a transition may change besides the state. */
export type RegistrationPatch = Partial<
  Pick<
    typeof registration.$inferInsert,
    | 'userId'
    | 'username'
    | 'attempts'
    | 'compensationAttempts'
    | 'createAttemptedAt'
    | 'databaseCompensatedAt'
    | 'errorCode'
    | 'errorDetail'
    | 'failureDetail'
  >
>

/** Checked against the lifecycle's transition table for the record's kind. */
export interface Transition {
  from: RegistrationState
  to: RegistrationState
  actor: string
  reason: string
  patch?: RegistrationPatch
}

/** Which record a transition is for: its kind decides which transitions it has. */
export type RecordRef = Pick<Registration, 'id' | 'kind'>

/** A transition the lifecycle (domain/registration-state.ts) does not have: a programming error. */
export class UnknownTransitionError extends Error {
  constructor(kind: RegistrationKind, from: RegistrationState | null, to: RegistrationState) {
    super(`a ${kind} record cannot move from ${from ?? 'nothing'} to ${to}`)
    this.name = 'UnknownTransitionError'
  }
}

const checked = (kind: RegistrationKind, from: RegistrationState | null, to: RegistrationState) => {
  if (!isAllowedTransition(kind, from, to)) throw new UnknownTransitionError(kind, from, to)
}

/** Thrown when a registration is no longer in the state a transition expected (someone else moved it). */
export class StaleRegistrationError extends Error {
  constructor(id: string, expected: RegistrationState) {
    super(`registration ${id} is no longer ${expected}`)
    this.name = 'StaleRegistrationError'
  }
}

/**
 * Told of what this repository's writes appended: each statement's events with the row it
 * returned, once the statement returned, or that a write failed (so what was written is no
 * longer known for sure: it may have committed although the client saw an error).
 */
export interface WrittenEventsSink {
  written(registration: Registration, events: readonly EventRow[]): void
  failed(): void
}

/**
 * A registration as a step left it in memory: `unwritten` transitions are applied to the fields
 * here but not yet in the database. The next `transition` writes them first, in the same
 * statement, so a step that ends with the IdP's answer (create) costs no commit of its own when
 * the next step commits at once; should the process die in between, the record is where it was
 * before (its create attempt recorded), and recovery adopts the user the create made.
 */
export type InMemoryRegistration = Registration & { unwritten?: readonly Transition[] }

/** The registration with `transition` applied in memory only (see InMemoryRegistration). */
export const deferTransition = (
  record: InMemoryRegistration,
  transition: Transition,
): InMemoryRegistration => {
  checked(record.kind, transition.from, transition.to)
  if (record.state !== transition.from) throw new StaleRegistrationError(record.id, transition.from)
  return {
    ...record,
    ...transition.patch,
    state: transition.to,
    unwritten: [...(record.unwritten ?? []), transition],
  } as InMemoryRegistration
}

/** Runs one write, telling `sink` when it failed (it may have committed all the same). */
const reporting = async <T>(sink: WrittenEventsSink | undefined, write: () => Promise<T>): Promise<T> => {
  try {
    return await write()
  } catch (error) {
    sink?.failed()
    throw error
  }
}

/**
 * `sink`: told of every event this repository's writes append (the saga's lease reports its work
 * from it instead of reading the events back). Give none on a transaction's handle: a statement
 * there has returned but not committed.
 */
export const createRegistrationsRepository = (db: Db, sink?: WrittenEventsSink) => ({
  /**
   * Writes the intent in its kind's first state with its first event: one statement, so the row
   * and its event commit together (or not at all) without a transaction round trip.
   */
  async insert(
    row: NewRegistration,
    actor: string,
    reason = 'registration requested',
    /** Taken in the same statement, so the request that records the work can start it at once. */
    lease?: { owner: string; seconds: number },
  ): Promise<Registration> {
    const kind = row.kind ?? 'register'
    const state = initialStateOf(kind)
    checked(kind, null, state)
    const events = [{ from: null, to: state, actor, reason }]
    const [created] = await reporting(sink, () =>
      insertStatement(db).execute({
        kind,
        state,
        email: row.email,
        emailNormalised: row.emailNormalised,
        name: row.name,
        organisation: row.organisation,
        roleIds: encoded(registration.roleIds, row.roleIds),
        trustId: row.trustId ?? null,
        requestedBy: row.requestedBy,
        idempotencyKey: row.idempotencyKey ?? null,
        requestHash: row.requestHash,
        userId: row.userId ?? null,
        username: row.username ?? null,
        createAttemptedAt: encoded(registration.createAttemptedAt, row.createAttemptedAt),
        leaseOwner: lease?.owner ?? null,
        leaseSeconds: lease?.seconds ?? null,
        events: eventsJson(events),
      }),
    )
    sink?.written(created as Registration, events)
    return created as Registration
  },

  async findById(id: string): Promise<Registration | undefined> {
    const [row] = await db.select().from(registration).where(eq(registration.id, id))
    return row as Registration | undefined
  },

  async findByIdempotencyKey(requestedBy: string, key: string): Promise<Registration | undefined> {
    const [row] = await db
      .select()
      .from(registration)
      .where(and(eq(registration.requestedBy, requestedBy), eq(registration.idempotencyKey, key)))
    return row as Registration | undefined
  },

  /**
   * Seconds since the registration last changed, by the database's clock (the one that wrote
   * `updated_at`), so the answer does not depend on the clock of the machine asking.
   */
  async secondsSinceChange(id: string): Promise<number> {
    const [row] = await db
      .select({ seconds: sql<number>`extract(epoch FROM now() - ${registration.updatedAt})::float8` })
      .from(registration)
      .where(eq(registration.id, id))
    return Number(row?.seconds ?? 0)
  },

  /** Registrations by their idempotency keys (one query per thousand keys), keyed by key. */
  async findByIdempotencyKeys(
    requestedBy: string,
    keys: readonly string[],
  ): Promise<Map<string, Registration>> {
    const found = new Map<string, Registration>()
    for (let start = 0; start < keys.length; start += 1_000) {
      const rows = await db
        .select()
        .from(registration)
        .where(
          and(
            eq(registration.requestedBy, requestedBy),
            inArray(registration.idempotencyKey, keys.slice(start, start + 1_000)),
          ),
        )
      for (const row of rows) found.set(row.idempotencyKey!, row as Registration)
    }
    return found
  },

  /** The registration holding the email's slot in the unique index, if any. */
  async findActiveByEmail(emailNormalised: string): Promise<Registration | undefined> {
    const [row] = await db
      .select()
      .from(registration)
      .where(
        and(
          eq(registration.emailNormalised, emailNormalised),
          inArray(registration.state, [...activeStates]),
        ),
      )
    return row as Registration | undefined
  },

  /**
   * Takes the registration's lease so only this worker advances it, across processes. A lease
   * left by a crashed process expires; IdP calls are bounded well inside `leaseSeconds`.
   * @returns the registration, or undefined if it is final or another worker holds it
   */
  async claim(id: string, owner: string, leaseSeconds: number): Promise<Registration | undefined> {
    const [row] = await db
      .update(registration)
      .set({ leaseOwner: owner, leaseUntil: sql`now() + make_interval(secs => ${leaseSeconds})` })
      .where(
        and(
          eq(registration.id, id),
          inArray(registration.state, [...workableStates]),
          or(
            isNull(registration.leaseUntil),
            lt(registration.leaseUntil, sql`now()`),
            eq(registration.leaseOwner, owner),
          ),
        ),
      )
      .returning()
    return row as Registration | undefined
  },

  async release(id: string, owner: string): Promise<void> {
    await db
      .update(registration)
      .set({ leaseOwner: null, leaseUntil: null })
      .where(and(eq(registration.id, id), eq(registration.leaseOwner, owner)))
  },

  /**
   * Moves the registration from `from` to `to` and appends the event in ONE statement (a
   * data-modifying CTE): the state and its event commit together or not at all, whether `db` is
   * the pool or a transaction (on a transaction it commits with the other writes; nothing here
   * opens a transaction of its own, so PGlite's single connection is never asked twice). Any
   * transitions the record carries `unwritten` are written first, in the same statement, and
   * `alongside` writes (a profile, grants, audit rows) commit with it too. `releaseLease` ends
   * the lease in the same statement, so the work that completes a registration needs no release.
   * @throws StaleRegistrationError when the registration is no longer in `from` (or, with
   *   unwritten transitions, in the first of them's `from`)
   */
  async transition(
    record: RecordRef & { unwritten?: readonly Transition[] },
    transition: Transition,
    options: { alongside?: readonly AlongsideWrites[]; releaseLease?: boolean } = {},
  ): Promise<Registration> {
    const { id } = record
    const chain = [...(record.unwritten ?? []), transition]
    for (const step of chain) checked(record.kind, step.from, step.to)
    const patch = Object.assign({}, ...chain.map((step) => step.patch ?? {})) as RegistrationPatch
    // A field given as undefined is not set (as drizzle's `set` skips it), never set to NULL.
    const patchFields = (Object.keys(patch) as (keyof RegistrationPatch)[])
      .filter((field) => patch[field] !== undefined)
      .sort()
    const alongside = options.alongside ?? []
    const releaseLease = options.releaseLease ?? false
    const shape = JSON.stringify([patchFields, releaseLease, alongside.map((write) => write.shape)])
    const statement = transitionStatements(db, shape, (name) =>
      buildTransition(db, name, patchFields, releaseLease, alongside),
    )
    const values: Record<string, unknown> = {
      id,
      from: chain[0]!.from,
      to: transition.to,
      events: eventsJson(chain),
    }
    for (const field of patchFields) values[`patch_${field}`] = encoded(registration[field], patch[field])
    for (const write of alongside) {
      for (const [name, value] of Object.entries(write.values)) {
        // A name taken twice would silently give one write the other's value.
        if (Object.hasOwn(values, name))
          throw new Error(`placeholder ${name} of ${write.shape} is already taken`)
        values[name] = value
      }
    }
    const [row] = await reporting(sink, () => statement.execute(values))
    if (!row) {
      sink?.failed()
      throw new StaleRegistrationError(id, chain[0]!.from)
    }
    sink?.written(row as Registration, chain)
    return row as Registration
  },

  /** Records progress that is not a transition (an attempt, its error), with an event. */
  async note(
    current: RecordRef & Pick<InMemoryRegistration, 'state' | 'unwritten'>,
    actor: string,
    reason: string,
    patch: RegistrationPatch,
  ) {
    return this.transition(current, { from: current.state, to: current.state, actor, reason, patch })
  },

  async events(id: string): Promise<RegistrationEvent[]> {
    return db
      .select()
      .from(registrationEvent)
      .where(eq(registrationEvent.registrationId, id))
      .orderBy(asc(registrationEvent.id))
  },

  async list(options: { state?: RegistrationState; limit?: number } = {}): Promise<Registration[]> {
    const rows = await db
      .select()
      .from(registration)
      .where(options.state === undefined ? undefined : eq(registration.state, options.state))
      .orderBy(desc(registration.createdAt))
      .limit(options.limit ?? 100)
    return rows as Registration[]
  },

  /** Workable registrations nobody holds a live lease on: orphans of a crash, or missed jobs. */
  async findUnclaimedWorkable(limit: number): Promise<Registration[]> {
    const rows = await db
      .select()
      .from(registration)
      .where(
        and(
          inArray(registration.state, [...workableStates]),
          or(isNull(registration.leaseUntil), lt(registration.leaseUntil, sql`now()`)),
        ),
      )
      .orderBy(asc(registration.updatedAt))
      .limit(limit)
    return rows as Registration[]
  },

  /**
   * Workable registrations whose lease ran out without being released: a live worker always
   * releases its lease, so these were held by a process that died (or stalled past its lease).
   */
  async findLapsedLeases(limit: number): Promise<Registration[]> {
    const rows = await db
      .select()
      .from(registration)
      .where(
        and(
          inArray(registration.state, [...workableStates]),
          isNotNull(registration.leaseOwner),
          lt(registration.leaseUntil, sql`now()`),
        ),
      )
      .orderBy(asc(registration.leaseUntil))
      .limit(limit)
    return rows as Registration[]
  },
})

export type RegistrationsRepository = ReturnType<typeof createRegistrationsRepository>
