import { asc, inArray } from 'drizzle-orm'
import type { Db } from '../db/database.js'
import { roles } from '../db/schema/index.js'

export interface Role {
  id: string
  name: string
  description: string
}

export const createRolesRepository = (db: Db) => ({
  /** Every role, ordered by name (FLIP's order). */
  async list(): Promise<Role[]> {
    return db
      .select({ id: roles.id, name: roles.name, description: roles.description })
      .from(roles)
      .orderBy(asc(roles.name))
  },

  /** The subset of `ids` that name existing roles. */
  async existingIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set()
    const rows = await db
      .select({ id: roles.id })
      .from(roles)
      .where(inArray(roles.id, [...ids]))
    return new Set(rows.map((row) => row.id))
  },
})
