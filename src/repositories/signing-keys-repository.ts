import { desc } from 'drizzle-orm'
import type { JWK } from 'jose'
import type { Db } from '../db/database.js'
import { signingKey } from '../db/schema/index.js'

export interface SigningKeyRow {
  kid: string
  privateJwk: JWK
  publicJwk: JWK
}

export const createSigningKeysRepository = (db: Db) => ({
  /** Inserts unless a key with that id exists; concurrent starters converge on the newest key. */
  async insertIfAbsent(row: SigningKeyRow): Promise<void> {
    await db.insert(signingKey).values(row).onConflictDoNothing()
  },

  /** Every key, newest first: the first one signs, all of them verify. */
  async all(): Promise<SigningKeyRow[]> {
    const rows = await db.select().from(signingKey).orderBy(desc(signingKey.createdAt), desc(signingKey.kid))
    return rows.map((row) => ({
      kid: row.kid,
      privateJwk: row.privateJwk as JWK,
      publicJwk: row.publicJwk as JWK,
    }))
  },
})
