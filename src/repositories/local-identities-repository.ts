import { and, asc, eq, gt, sql } from 'drizzle-orm'
import type { Db } from '../db/database.js'
import { preparedOnce } from '../db/prepared-statements.js'
import { localIdentity } from '../db/schema/index.js'

export type LocalIdentityRow = typeof localIdentity.$inferSelect

export const LOCAL_IDENTITY_EMAIL_CONSTRAINT = 'uq_local_identity_email'

// The token's account (every request) and the IdP's create and read (every registration).
const insertIdentity = preparedOnce((db) =>
  db
    .insert(localIdentity)
    .values({
      id: sql.placeholder('id'),
      email: sql.placeholder('email'),
      emailNormalised: sql.placeholder('emailNormalised'),
      createdAt: sql.placeholder('createdAt'),
    })
    .returning()
    .prepare('flip_users_local_identity_insert'),
)
const identityById = preparedOnce((db) =>
  db
    .select()
    .from(localIdentity)
    .where(eq(localIdentity.id, sql.placeholder('id')))
    .prepare('flip_users_local_identity_by_id'),
)
const identityByEmail = preparedOnce((db) =>
  db
    .select()
    .from(localIdentity)
    .where(eq(localIdentity.emailNormalised, sql.placeholder('emailNormalised')))
    .prepare('flip_users_local_identity_by_email'),
)

/** The `local` identity provider's directory. */
export const createLocalIdentitiesRepository = (db: Db) => ({
  /** @throws a unique violation on `uq_local_identity_email` for a taken address */
  async insert(row: {
    id: string
    email: string
    emailNormalised: string
    createdAt: Date
  }): Promise<LocalIdentityRow> {
    const [inserted] = await insertIdentity(db).execute(row)
    return inserted!
  },

  async findById(id: string): Promise<LocalIdentityRow | undefined> {
    const [row] = await identityById(db).execute({ id })
    return row
  },

  async findByEmail(emailNormalised: string): Promise<LocalIdentityRow | undefined> {
    const [row] = await identityByEmail(db).execute({ emailNormalised })
    return row
  },

  /** @returns whether a row was deleted */
  async deleteByEmail(emailNormalised: string): Promise<boolean> {
    const deleted = await db
      .delete(localIdentity)
      .where(eq(localIdentity.emailNormalised, emailNormalised))
      .returning({ id: localIdentity.id })
    return deleted.length > 0
  },

  /** @returns whether a row was updated */
  async setEnabled(emailNormalised: string, enabled: boolean): Promise<boolean> {
    const updated = await db
      .update(localIdentity)
      .set({ enabled })
      .where(eq(localIdentity.emailNormalised, emailNormalised))
      .returning({ id: localIdentity.id })
    return updated.length > 0
  },

  /** Keyset page ordered by normalised email, starting after `afterEmail`. */
  async page(limit: number, afterEmail: string | undefined): Promise<LocalIdentityRow[]> {
    return db
      .select()
      .from(localIdentity)
      .where(afterEmail === undefined ? undefined : and(gt(localIdentity.emailNormalised, afterEmail)))
      .orderBy(asc(localIdentity.emailNormalised))
      .limit(limit)
  },
})
