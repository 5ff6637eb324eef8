import { index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'

// FLIP's table and column names, kept so data can move between the two implementations (SPEC §5).

export const roles = pgTable('roles', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull().unique('uq_roles_name'),
  description: text('description').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
})

export const permission = pgTable('permission', {
  id: uuid('id').primaryKey(),
  permissionName: text('permission_name').notNull().unique('uq_permission_name'),
  permissionDescription: text('permission_description').notNull(),
})

export const rolePermission = pgTable(
  'role_permission',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    roleId: uuid('role_id')
      .notNull()
      .references(() => roles.id, { onDelete: 'cascade' }),
    permissionId: uuid('permission_id')
      .notNull()
      .references(() => permission.id, { onDelete: 'cascade' }),
  },
  // FLIP has no unique pair (its seeder checks first); the index lets our seed be one statement.
  (t) => [
    uniqueIndex('uq_role_permission').on(t.roleId, t.permissionId),
    index('ix_role_permission_role').on(t.roleId),
  ],
)
