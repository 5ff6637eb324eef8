import { sql } from 'drizzle-orm'
import { index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { roles } from './roles.js'

export const trust = pgTable('trust', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  code: text('code'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
})

/**
 * A role grant. `user_id` is the IdP `sub` (there is no users table). A grant with no `trust_id`
 * is global and is what permissions are computed from; one with a `trust_id` is held at that trust.
 */
export const userRole = pgTable(
  'user_role',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id').notNull(),
    roleId: uuid('role_id')
      .notNull()
      .references(() => roles.id),
    trustId: uuid('trust_id').references(() => trust.id),
  },
  (t) => [
    index('ix_user_role_user_id').on(t.userId),
    index('ix_user_role_trust_id').on(t.trustId),
    uniqueIndex('uq_user_role_global').on(t.userId, t.roleId).where(sql`trust_id IS NULL`),
    uniqueIndex('uq_user_role_per_trust').on(t.userId, t.roleId, t.trustId).where(sql`trust_id IS NOT NULL`),
  ],
)
