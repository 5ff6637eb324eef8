import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Db } from '../db/database.js'
import { accountStatus, localIdentity, roles, userRole } from '../db/schema/index.js'
import { ADMIN_ROLE_ID } from '../domain/roles.js'

/**
 * The holders of the global Admin role and the database's view of whether their accounts are
 * enabled, for the last-administrator rule (SPEC §3). Call on a transaction.
 */
export const createAdministratorsRepository = (db: Db) => ({
  /**
   * Locks the Admin role's row until the transaction ends, so every change that could remove an
   * administrator runs one at a time and sees the one before it (READ COMMITTED re-reads per
   * statement). A row lock, not an advisory lock: PostgreSQL and PGlite behave alike.
   */
  async lock(): Promise<void> {
    await db.select({ id: roles.id }).from(roles).where(eq(roles.id, ADMIN_ROLE_ID)).for('update')
  },

  /**
   * The users holding the Admin role globally whose accounts are enabled. Enabled means: no
   * `account_status` row says the service disabled it, and, with `local`, the identity itself
   * is enabled (with Cognito `local_identity` is empty, so only the service's record counts).
   */
  async enabledAdminIds(): Promise<string[]> {
    const rows = await db
      .select({ userId: userRole.userId })
      .from(userRole)
      .leftJoin(localIdentity, eq(localIdentity.id, userRole.userId))
      .leftJoin(accountStatus, eq(accountStatus.userId, userRole.userId))
      .where(
        and(
          eq(userRole.roleId, ADMIN_ROLE_ID),
          isNull(userRole.trustId),
          sql`coalesce(${localIdentity.enabled}, true)`,
          sql`not coalesce(${accountStatus.disabled}, false)`,
        ),
      )
    return rows.map((row) => row.userId)
  },
})

/** The service's record of the accounts it disabled (`account_status`). */
export const createAccountStatusRepository = (db: Db) => ({
  /** @returns whether the service has recorded the account as disabled */
  async isDisabled(userId: string): Promise<boolean> {
    const [row] = await db
      .select({ disabled: accountStatus.disabled })
      .from(accountStatus)
      .where(eq(accountStatus.userId, userId))
    return row?.disabled ?? false
  },

  async record(userId: string, disabled: boolean): Promise<void> {
    await db
      .insert(accountStatus)
      .values({ userId, disabled })
      .onConflictDoUpdate({ target: accountStatus.userId, set: { disabled, updatedAt: sql`now()` } })
  },

  async delete(userId: string): Promise<void> {
    await db.delete(accountStatus).where(eq(accountStatus.userId, userId))
  },
})
