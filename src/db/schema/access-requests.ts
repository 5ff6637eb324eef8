import { sql } from 'drizzle-orm'
import { boolean, check, index, pgTable, text, timestamp, uuid, varchar } from 'drizzle-orm/pg-core'

/** FLIP's `access_request`: someone without an account asking for one (public, then triaged). */
export const accessRequest = pgTable(
  'access_request',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: varchar('email', { length: 320 }).notNull(),
    fullName: varchar('full_name', { length: 255 }).notNull(),
    reasonForAccess: varchar('reason_for_access', { length: 2000 }).notNull(),
    status: text('status').notNull().default('PENDING'),
    emailNotified: boolean('email_notified').notNull().default(false),
    handledByUserId: uuid('handled_by_user_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('ck_access_request_status', sql`${t.status} IN ('PENDING', 'ENROLLED', 'DISMISSED')`),
    // Triage lists newest first, optionally by status.
    index('ix_access_request_status_created').on(t.status, t.createdAt),
    index('ix_access_request_created').on(t.createdAt),
  ],
)
