import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Db } from '../db/database.js'
import { preparedOnce } from '../db/prepared-statements.js'
import { permission, rolePermission, userRole } from '../db/schema/index.js'

// Every authenticated request asks it (the permission check): prepared once.
const globalPermissionNames = preparedOnce((db) =>
  db
    .selectDistinct({ name: permission.permissionName })
    .from(userRole)
    .innerJoin(rolePermission, eq(rolePermission.roleId, userRole.roleId))
    .innerJoin(permission, eq(permission.id, rolePermission.permissionId))
    .where(and(eq(userRole.userId, sql.placeholder('userId')), isNull(userRole.trustId)))
    .prepare('flip_users_global_permission_names'),
)

export const createPermissionsRepository = (db: Db) => ({
  /** Distinct permission names reachable through the user's global grants (`trust_id IS NULL`). */
  async globalPermissionNames(userId: string): Promise<string[]> {
    const rows = await globalPermissionNames(db).execute({ userId })
    return rows.map((row) => row.name)
  },

  /** Distinct permission names the user holds at exactly this trust. */
  async trustPermissionNames(userId: string, trustId: string): Promise<string[]> {
    const rows = await db
      .selectDistinct({ name: permission.permissionName })
      .from(userRole)
      .innerJoin(rolePermission, eq(rolePermission.roleId, userRole.roleId))
      .innerJoin(permission, eq(permission.id, rolePermission.permissionId))
      .where(and(eq(userRole.userId, userId), eq(userRole.trustId, trustId)))
    return rows.map((row) => row.name)
  },
})
