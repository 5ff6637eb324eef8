import { boolean, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'

/** The `local` identity provider's directory: what Cognito keeps, kept in our own database. */
export const localIdentity = pgTable('local_identity', {
  id: uuid('id').primaryKey(),
  email: text('email').notNull(),
  emailNormalised: text('email_normalised').notNull().unique('uq_local_identity_email'),
  enabled: boolean('enabled').notNull().default(true),
  mfaEnabled: boolean('mfa_enabled').notNull().default(false),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
})

/** RSA keys that sign `local` access tokens; shared by every process on the database. */
export const signingKey = pgTable('signing_key', {
  kid: text('kid').primaryKey(),
  privateJwk: jsonb('private_jwk').notNull(),
  publicJwk: jsonb('public_jwk').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
})
