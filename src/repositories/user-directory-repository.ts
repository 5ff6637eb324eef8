import { and, asc, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm'
import type { Db } from '../db/database.js'
import { roles, trust, userProfile, userRole } from '../db/schema/index.js'
import { TRUST_ADMIN_ROLE_ID } from '../domain/roles.js'
import type { Profile } from './profiles-repository.js'
import type { Role } from './roles-repository.js'

export interface TrustRef {
  id: string
  name: string
  code: string | null
}

/** The database half of FLIP's user read models, for many users at once. */
export const createUserDirectoryRepository = (db: Db) => ({
  /** Each user's global roles (`trust_id IS NULL`), ordered by role name. */
  async globalRolesOf(userIds: readonly string[]): Promise<Map<string, Role[]>> {
    const byUser = new Map<string, Role[]>()
    if (userIds.length === 0) return byUser
    const rows = await db
      .select({ userId: userRole.userId, id: roles.id, name: roles.name, description: roles.description })
      .from(userRole)
      .innerJoin(roles, eq(roles.id, userRole.roleId))
      .where(and(inArray(userRole.userId, [...userIds]), isNull(userRole.trustId)))
      .orderBy(asc(roles.name))
    for (const { userId, ...role } of rows) byUser.set(userId, [...(byUser.get(userId) ?? []), role])
    return byUser
  },

  /** The trust each Trust Admin administers (the first by name, as FLIP). */
  async trustAdminOf(userIds: readonly string[]): Promise<Map<string, TrustRef>> {
    const byUser = new Map<string, TrustRef>()
    if (userIds.length === 0) return byUser
    const rows = await db
      .select({ userId: userRole.userId, id: trust.id, name: trust.name, code: trust.code })
      .from(userRole)
      .innerJoin(trust, eq(trust.id, userRole.trustId))
      .where(
        and(
          inArray(userRole.userId, [...userIds]),
          eq(userRole.roleId, TRUST_ADMIN_ROLE_ID),
          isNotNull(userRole.trustId),
        ),
      )
      .orderBy(asc(trust.name))
    for (const { userId, ...ref } of rows) if (!byUser.has(userId)) byUser.set(userId, ref)
    return byUser
  },

  async profilesOf(userIds: readonly string[]): Promise<Map<string, Profile>> {
    if (userIds.length === 0) return new Map()
    const rows = await db
      .select({ userId: userProfile.userId, name: userProfile.name, organisation: userProfile.organisation })
      .from(userProfile)
      .where(inArray(userProfile.userId, [...userIds]))
    return new Map(rows.map((row) => [row.userId, row]))
  },

  /** Ids of users whose profile name or organisation contains `search`, case-insensitively. */
  async profileIdsMatching(search: string): Promise<Set<string>> {
    // strpos, not LIKE: the search text is matched literally, with no wildcards to escape.
    const needle = search.toLowerCase()
    const rows = await db
      .select({ userId: userProfile.userId })
      .from(userProfile)
      .where(
        sql`strpos(lower(${userProfile.name}), ${needle}) > 0 OR strpos(lower(${userProfile.organisation}), ${needle}) > 0`,
      )
    return new Set(rows.map((row) => row.userId))
  },

  /**
   * Sets only the given profile fields, creating the row (other fields empty) when missing, and
   * bumps `updated_at`.
   */
  async patchProfile(userId: string, fields: { name?: string; organisation?: string }): Promise<void> {
    const set = { ...fields, updatedAt: sql`now()` }
    await db
      .insert(userProfile)
      .values({ userId, ...fields })
      .onConflictDoUpdate({ target: userProfile.userId, set })
  },
})
