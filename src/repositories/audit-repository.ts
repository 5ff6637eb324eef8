import { asc, eq } from 'drizzle-orm'
import type { Db } from '../db/database.js'
import { usersAudit } from '../db/schema/index.js'

/** The actions FLIP writes, verbatim (SPEC §5). */
export type AuditAction =
  | 'Registered user'
  | 'Updated user roles'
  | 'Deleted user'
  | 'Disabled user'
  | 'Enabled user'
  | 'Updated user profile'
  | 'Disabled user and updated profile'
  | 'Enabled user and updated profile'
  | 'Updated user'
  | 'Reset user MFA'

export const createAuditRepository = (db: Db) => ({
  async record(action: AuditAction, userId: string, modifiedByUserId: string): Promise<void> {
    await db.insert(usersAudit).values({ action, userId, modifiedByUserId })
  },

  async actionsFor(userId: string): Promise<string[]> {
    const rows = await db
      .select({ action: usersAudit.action })
      .from(usersAudit)
      .where(eq(usersAudit.userId, userId))
      .orderBy(asc(usersAudit.timestamp))
    return rows.map((row) => row.action)
  },
})
