import { and, eq, type SQL, sql, type WithSubquery } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import type { Db } from '../db/database.js'
import { preparedByShape, preparedOnce } from '../db/prepared-statements.js'
import { registration, registrationEvent } from '../db/schema/index.js'
import type { RegistrationState } from '../domain/registration-state.js'

/**
 * The registration's two hot-path statements, built once and prepared (issue 14): the intent's
 * insert, and a transition with its events and the writes that commit beside it. Their values are
 * placeholders, lists as JSON, so a statement's text depends only on its shape.
 */

export interface EventRow {
  from: RegistrationState | null
  to: RegistrationState
  actor: string
  reason: string
}

/**
 * Other writes that commit with a transition, as CTEs over `moved` (the registration row as
 * updated; none when the transition did not apply, so neither do they). `shape` names the SQL
 * `ctes` builds, which takes its values from placeholders (`values`), so the statement is
 * prepared once per shape; its placeholder names must be its own (a name already taken by the
 * transition or another write is refused).
 */
export interface AlongsideWrites {
  shape: string
  ctes: (db: Db, moved: SQL) => WithSubquery[]
  values: Record<string, unknown>
}

/**
 * A CTE appending the events, in order, for each registration row the CTE named `source`
 * returns (none when it returns none), so a statement writes a state and its events together.
 * The events come as one JSON array (`eventsJson`), so the statement's text is the same however
 * many there are and it is prepared once.
 */
const eventsOf = (db: Db, source: SQL) =>
  db.$with('logged', {}).as(sql`
    INSERT INTO ${registrationEvent} (registration_id, from_state, to_state, actor, reason)
    SELECT source.id, e.event->>'from', e.event->>'to', e.event->>'actor', e.event->>'reason'
    FROM ${source} AS source
      CROSS JOIN jsonb_array_elements(${sql.placeholder('events')}::jsonb) WITH ORDINALITY AS e(event, ord)
    ORDER BY e.ord`)

// jsonb refuses a lone UTF-16 surrogate, which a text parameter would have stored as U+FFFD: a
// failure's description (an event's reason) must never be what makes its transition fail.
const wellFormed = (text: string) => (text as string & { toWellFormed(): string }).toWellFormed()

export const eventsJson = (events: readonly EventRow[]) =>
  JSON.stringify(
    events.map(({ from, to, actor, reason }) => ({
      from,
      to,
      actor: wellFormed(actor),
      reason: wellFormed(reason),
    })),
  )

/**
 * A value as its column sends it (a time as ISO text, jsonb as JSON), or NULL: placeholders in
 * raw SQL skip drizzle's column encoders, and an encoder given NULL would throw.
 */
export const encoded = (column: AnyPgColumn, value: unknown) =>
  value === null || value === undefined ? null : column.mapToDriverValue(value)

// Every registration's first statement: the columns a NewRegistration may carry, NULL when it
// does not (none of them has another default), and the lease when one is asked for.
export const insertStatement = preparedOnce((db) => {
  const value = (name: string) => sql`${sql.placeholder(name)}`
  const inserted = db.$with('inserted').as(
    db
      .insert(registration)
      .values({
        kind: value('kind'),
        state: value('state'),
        email: value('email'),
        emailNormalised: value('emailNormalised'),
        name: value('name'),
        organisation: value('organisation'),
        roleIds: sql`${sql.placeholder('roleIds')}::jsonb`,
        trustId: value('trustId'),
        requestedBy: value('requestedBy'),
        idempotencyKey: value('idempotencyKey'),
        requestHash: value('requestHash'),
        userId: value('userId'),
        username: value('username'),
        createAttemptedAt: value('createAttemptedAt'),
        leaseOwner: value('leaseOwner'),
        leaseUntil: sql`now() + make_interval(secs => ${sql.placeholder('leaseSeconds')}::float8)`,
      })
      .returning(),
  )
  return db
    .with(inserted, eventsOf(db, sql`inserted`))
    .select()
    .from(inserted)
    .prepare('flip_users_registration_insert')
})

// A transition's statement differs by the fields it sets, whether it ends the lease and which
// writes go with it; everything else (ids, states, values, events) is a placeholder.
export const transitionStatements = preparedByShape<ReturnType<typeof buildTransition>>(
  'flip_users_registration_transition',
)

export const buildTransition = (
  db: Db,
  name: string,
  patchFields: readonly (keyof typeof registration.$inferInsert)[],
  releaseLease: boolean,
  alongside: readonly AlongsideWrites[],
) => {
  const moved = db.$with('moved').as(
    db
      .update(registration)
      .set({
        ...Object.fromEntries(patchFields.map((field) => [field, sql`${sql.placeholder(`patch_${field}`)}`])),
        state: sql`${sql.placeholder('to')}`,
        updatedAt: sql`now()`,
        ...(releaseLease ? { leaseOwner: null, leaseUntil: null } : {}),
      })
      .where(and(eq(registration.id, sql.placeholder('id')), eq(registration.state, sql.placeholder('from'))))
      .returning(),
  )
  return db
    .with(moved, eventsOf(db, sql`moved`), ...alongside.flatMap((write) => write.ctes(db, sql`moved`)))
    .select()
    .from(moved)
    .prepare(name)
}
