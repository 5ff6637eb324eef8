import { eq } from 'drizzle-orm'
import type { Db } from '../db/database.js'
import { trust } from '../db/schema/index.js'

export const createTrustsRepository = (db: Db) => ({
  async exists(id: string): Promise<boolean> {
    const rows = await db.select({ id: trust.id }).from(trust).where(eq(trust.id, id))
    return rows.length > 0
  },

  async insert(row: { name: string; code?: string | null }): Promise<{ id: string }> {
    const [inserted] = await db.insert(trust).values(row).returning({ id: trust.id })
    return inserted!
  },
})
