import { count, desc, eq, sql } from 'drizzle-orm'
import type { Db } from '../db/database.js'
import { accessRequest } from '../db/schema/index.js'

export type AccessRequestStatus = 'PENDING' | 'ENROLLED' | 'DISMISSED'

export type AccessRequestRow = typeof accessRequest.$inferSelect

export const createAccessRequestsRepository = (db: Db) => ({
  async insert(row: { email: string; fullName: string; reasonForAccess: string }): Promise<AccessRequestRow> {
    const [inserted] = await db.insert(accessRequest).values(row).returning()
    return inserted!
  },

  async markNotified(id: string): Promise<void> {
    await db
      .update(accessRequest)
      .set({ emailNotified: true, updatedAt: sql`now()` })
      .where(eq(accessRequest.id, id))
  },

  /** Newest first, with the total that matches the filter. */
  async page(options: {
    status: AccessRequestStatus | undefined
    limit: number
    offset: number
  }): Promise<{ rows: AccessRequestRow[]; total: number }> {
    const where = options.status === undefined ? undefined : eq(accessRequest.status, options.status)
    const [rows, [counted]] = await Promise.all([
      db
        .select()
        .from(accessRequest)
        .where(where)
        .orderBy(desc(accessRequest.createdAt), desc(accessRequest.id))
        .limit(options.limit)
        .offset(options.offset),
      db.select({ total: count() }).from(accessRequest).where(where),
    ])
    return { rows, total: counted?.total ?? 0 }
  },

  /** @returns the updated row, or undefined when there is no such request */
  async setStatus(
    id: string,
    status: AccessRequestStatus,
    handledByUserId: string,
  ): Promise<AccessRequestRow | undefined> {
    const [row] = await db
      .update(accessRequest)
      .set({ status, handledByUserId, updatedAt: sql`now()` })
      .where(eq(accessRequest.id, id))
      .returning()
    return row
  },
})
