import { and, eq, isNotNull, isNull } from 'drizzle-orm'
import type { Db } from '../db/database.js'
import { userRole } from '../db/schema/index.js'

export const createUserRolesRepository = (db: Db) => ({
  /** Whether anyone holds `roleId` globally. */
  async anyoneHolds(roleId: string): Promise<boolean> {
    const rows = await db
      .select({ id: userRole.id })
      .from(userRole)
      .where(and(eq(userRole.roleId, roleId), isNull(userRole.trustId)))
      .limit(1)
    return rows.length > 0
  },

  /** The role ids the user holds globally. */
  async globalRoleIds(userId: string): Promise<string[]> {
    const rows = await db
      .select({ roleId: userRole.roleId })
      .from(userRole)
      .where(and(eq(userRole.userId, userId), isNull(userRole.trustId)))
    return rows.map((row) => row.roleId)
  },

  /** Replaces the user's global grants; trust-scoped grants are left alone. */
  async replaceGlobal(userId: string, roleIds: readonly string[]): Promise<void> {
    await db.delete(userRole).where(and(eq(userRole.userId, userId), isNull(userRole.trustId)))
    const unique = [...new Set(roleIds)]
    if (unique.length > 0) await db.insert(userRole).values(unique.map((roleId) => ({ userId, roleId })))
  },

  /** Makes the user Trust Admin at `trustId` only (null: at no trust). Other trust-held roles stay. */
  async replaceTrustAdmin(userId: string, trustAdminRoleId: string, trustId: string | null): Promise<void> {
    await db
      .delete(userRole)
      .where(
        and(eq(userRole.userId, userId), eq(userRole.roleId, trustAdminRoleId), isNotNull(userRole.trustId)),
      )
    if (trustId !== null) await db.insert(userRole).values({ userId, roleId: trustAdminRoleId, trustId })
  },

  /** Whether the user holds any grant at all, global or per trust. */
  async holdsAny(userId: string): Promise<boolean> {
    const rows = await db
      .select({ id: userRole.id })
      .from(userRole)
      .where(eq(userRole.userId, userId))
      .limit(1)
    return rows.length > 0
  },

  /** Removes every grant the user holds, global and per trust. @returns how many were removed */
  async deleteAll(userId: string): Promise<number> {
    const deleted = await db
      .delete(userRole)
      .where(eq(userRole.userId, userId))
      .returning({ id: userRole.id })
    return deleted.length
  },
})
