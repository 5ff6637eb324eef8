import { eq, sql } from 'drizzle-orm'
import type { Db } from '../db/database.js'
import { userProfile } from '../db/schema/index.js'

export interface Profile {
  userId: string
  name: string
  organisation: string
}

export const createProfilesRepository = (db: Db) => ({
  async find(userId: string): Promise<Profile | undefined> {
    const [row] = await db
      .select({ userId: userProfile.userId, name: userProfile.name, organisation: userProfile.organisation })
      .from(userProfile)
      .where(eq(userProfile.userId, userId))
    return row
  },

  /** Creates the profile or overwrites its fields, bumping `updated_at`. */
  async upsert(profile: Profile): Promise<void> {
    await db
      .insert(userProfile)
      .values(profile)
      .onConflictDoUpdate({
        target: userProfile.userId,
        set: { name: profile.name, organisation: profile.organisation, updatedAt: sql`now()` },
      })
  },

  /** @returns whether a row was removed */
  async delete(userId: string): Promise<boolean> {
    const deleted = await db
      .delete(userProfile)
      .where(eq(userProfile.userId, userId))
      .returning({ id: userProfile.userId })
    return deleted.length > 0
  },
})
