import { eq } from 'drizzle-orm'
import type { Db } from '../db/database.js'
import { localIdentity } from '../db/schema/index.js'

/** The `local` identity provider's second-factor flag (what Cognito keeps as UserMFASettingList). */
export const createLocalMfaRepository = (db: Db) => ({
  /** @returns the flag, or undefined when there is no such identity */
  async mfaEnabled(emailNormalised: string): Promise<boolean | undefined> {
    const [row] = await db
      .select({ mfaEnabled: localIdentity.mfaEnabled })
      .from(localIdentity)
      .where(eq(localIdentity.emailNormalised, emailNormalised))
    return row?.mfaEnabled
  },

  /** @returns whether an identity was updated */
  async setMfaEnabled(emailNormalised: string, enabled: boolean): Promise<boolean> {
    const updated = await db
      .update(localIdentity)
      .set({ mfaEnabled: enabled })
      .where(eq(localIdentity.emailNormalised, emailNormalised))
      .returning({ id: localIdentity.id })
    return updated.length > 0
  },
})
