import { sql } from 'drizzle-orm'
import {
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core'
import { activeStatesCondition } from '../../domain/registration-state.js'

/**
 * One registration of the register-user saga: the intent, written before the IdP is called, and
 * everything needed to drive it to a final state from any process after any crash.
 */
export const registration = pgTable(
  'registration',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** What the record drives (`RegistrationKind`): the step function, phase 1 alone, or a delete. */
    kind: text('kind').notNull().default('register'),
    email: text('email').notNull(),
    emailNormalised: text('email_normalised').notNull(),
    name: varchar('name', { length: 255 }).notNull(),
    organisation: varchar('organisation', { length: 255 }).notNull(),
    roleIds: jsonb('role_ids').$type<string[]>().notNull(),
    trustId: uuid('trust_id'),
    state: text('state').notNull(),
    userId: uuid('user_id'),
    /** The username the IdP answered at creation: compensation deletes by it, never by a lookup. */
    username: text('username'),
    requestedBy: uuid('requested_by').notNull(),
    idempotencyKey: text('idempotency_key'),
    requestHash: text('request_hash').notNull(),
    attempts: integer('attempts').notNull().default(0),
    compensationAttempts: integer('compensation_attempts').notNull().default(0),
    /** Set before the first create call: an AlreadyExists after it may be our own earlier create. */
    createAttemptedAt: timestamp('create_attempted_at', { withTimezone: true }),
    /** The database half of compensation is committed (grants, profile, audit). */
    databaseCompensatedAt: timestamp('database_compensated_at', { withTimezone: true }),
    errorCode: text('error_code'),
    errorDetail: text('error_detail'),
    /** Why compensation started (the definitive failure), kept for the 500 detail. */
    failureDetail: text('failure_detail'),
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // One record per email at a time: concurrent duplicates cannot both reach the IdP, and an
    // email whose IdP user is being deleted cannot be registered again until the delete is done.
    uniqueIndex('uq_registration_active_email').on(t.emailNormalised).where(sql.raw(activeStatesCondition())),
    uniqueIndex('uq_registration_idempotency_key')
      .on(t.requestedBy, t.idempotencyKey)
      .where(sql`idempotency_key IS NOT NULL`),
    index('ix_registration_state').on(t.state),
  ],
)

/** Every transition of a registration, appended, never updated. */
export const registrationEvent = pgTable(
  'registration_event',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    registrationId: uuid('registration_id')
      .notNull()
      .references(() => registration.id, { onDelete: 'cascade' }),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    fromState: text('from_state'),
    toState: text('to_state').notNull(),
    actor: text('actor').notNull(),
    reason: text('reason').notNull(),
  },
  (t) => [index('ix_registration_event_registration').on(t.registrationId)],
)
