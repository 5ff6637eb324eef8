import { sql } from 'drizzle-orm'
import { index, pgTable, text, timestamp, uuid, varchar } from 'drizzle-orm/pg-core'

export const userProfile = pgTable('user_profile', {
  userId: uuid('user_id').primaryKey(),
  name: varchar('name', { length: 255 }).notNull().default(''),
  organisation: varchar('organisation', { length: 255 }).notNull().default(''),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
})

export const usersAudit = pgTable(
  'users_audit',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    action: text('action').notNull(),
    userId: uuid('user_id').notNull(),
    modifiedByUserId: uuid('modified_by_user_id').notNull(),
    // clock_timestamp, not now(): rows written in one transaction keep the order they happened in.
    timestamp: timestamp('timestamp', { withTimezone: true }).notNull().default(sql`clock_timestamp()`),
  },
  (t) => [index('ix_users_audit_user_id').on(t.userId)],
)
