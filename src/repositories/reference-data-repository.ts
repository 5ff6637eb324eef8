import { sql } from 'drizzle-orm'
import type { Db } from '../db/database.js'
import { permission, rolePermission, roles } from '../db/schema/index.js'

export interface RoleRow {
  id: string
  name: string
  description: string
}

/** Writes FLIP's fixed roles and permissions, idempotently by id (FLIP's seeder semantics). */
export const createReferenceDataRepository = (db: Db) => ({
  /** Inserts missing roles; refreshes name and description in place, bumping `updated_at` only on change. */
  async upsertRoles(rows: readonly RoleRow[]): Promise<void> {
    if (rows.length === 0) return
    await db
      .insert(roles)
      .values([...rows])
      .onConflictDoUpdate({
        target: roles.id,
        set: { name: sql`excluded.name`, description: sql`excluded.description`, updatedAt: sql`now()` },
        setWhere: sql`${roles.name} IS DISTINCT FROM excluded.name OR ${roles.description} IS DISTINCT FROM excluded.description`,
      })
  },

  async upsertPermissions(rows: readonly { id: string; name: string }[]): Promise<void> {
    if (rows.length === 0) return
    await db
      .insert(permission)
      .values(rows.map((row) => ({ id: row.id, permissionName: row.name, permissionDescription: row.name })))
      .onConflictDoUpdate({
        target: permission.id,
        set: {
          permissionName: sql`excluded.permission_name`,
          permissionDescription: sql`excluded.permission_description`,
        },
      })
  },

  /** Adds missing role→permission pairs and never removes any (FLIP's seeder does the same). */
  async grantPermissions(pairs: readonly { roleId: string; permissionId: string }[]): Promise<void> {
    if (pairs.length === 0) return
    await db
      .insert(rolePermission)
      .values([...pairs])
      .onConflictDoNothing({ target: [rolePermission.roleId, rolePermission.permissionId] })
  },
})
