import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
} from 'jose'
import type { Database } from '../db/database.js'
import { createSigningKeysRepository } from '../repositories/signing-keys-repository.js'

export type SigningKey = Awaited<ReturnType<typeof importJWK>>

export interface LocalSigningKeys {
  /** The key that signs new tokens. */
  kid: string
  privateKey: SigningKey
  /** Every key that verifies, as served at `/.well-known/jwks.json`. */
  jwks: JSONWebKeySet
}

/**
 * Loads the `local` backend's RSA signing key, creating it on first start. It lives in the
 * database, not on disk, so every process on one PostgreSQL signs and verifies alike; creation
 * runs under the database-wide lock so two first starts do not each mint a key.
 */
export const loadLocalSigningKeys = async (database: Database): Promise<LocalSigningKeys> => {
  let rows = await createSigningKeysRepository(database.db).all()
  if (rows.length === 0) {
    rows = await database.exclusively(async (db) => {
      const repository = createSigningKeysRepository(db)
      const existing = await repository.all()
      if (existing.length > 0) return existing
      const { privateKey, publicKey } = await generateKeyPair('RS256', {
        modulusLength: 2048,
        extractable: true,
      })
      const publicJwk = await exportJWK(publicKey)
      const kid = await calculateJwkThumbprint(publicJwk)
      const row = {
        kid,
        privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256' },
        publicJwk: { ...publicJwk, kid, alg: 'RS256', use: 'sig' },
      }
      await repository.insertIfAbsent(row)
      return [row]
    })
  }
  const signing = rows[0]!
  return {
    kid: signing.kid,
    privateKey: await importJWK(signing.privateJwk as JWK, 'RS256'),
    jwks: { keys: rows.map((row) => row.publicJwk) },
  }
}
