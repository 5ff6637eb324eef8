import { boolean, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core'

/**
 * Whether the service has disabled an account, as last set through it (PUT /api/users/{id}).
 * The identity provider holds the real switch; this row is the database's copy, written in the
 * same locked transaction that checks the last administrator, so two concurrent disables cannot
 * both see the other as still enabled (SPEC §3). A missing row means enabled.
 */
export const accountStatus = pgTable('account_status', {
  userId: uuid('user_id').primaryKey(),
  disabled: boolean('disabled').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
})
