import { sql } from 'drizzle-orm'
import { expect, vi } from 'vitest'
import type { Database } from '../../src/db/database.js'
import type { RegistrationState } from '../../src/domain/registration-state.js'
import {
  createRegistrationsRepository,
  type Registration,
} from '../../src/repositories/registrations-repository.js'
import { rowsOf } from '../support/sql-rows.js'

const rows = rowsOf

/** What the registration left behind, for one email: IdP users, grants, profile and audit. */
export const footprintOf = async (database: Database, email: string) => {
  const identities = await rows<{ id: string }>(
    database,
    sql`SELECT id FROM local_identity WHERE email_normalised = ${email.toLowerCase()}`,
  )
  const userIds = identities.map((identity) => identity.id)
  const registrations = await rows<{ id: string; state: string; user_id: string | null }>(
    database,
    sql`SELECT id, state, user_id FROM registration WHERE email_normalised = ${email.toLowerCase()}`,
  )
  const ids = [...new Set([...userIds, ...registrations.flatMap((r) => (r.user_id ? [r.user_id] : []))])]
  const inList =
    ids.length === 0
      ? sql`(NULL)`
      : sql`(${sql.join(
          ids.map((id) => sql`${id}::uuid`),
          sql`, `,
        )})`
  const grants = await rows<{ role_id: string }>(
    database,
    sql`SELECT role_id FROM user_role WHERE user_id IN ${inList}`,
  )
  const profiles = await rows<{ name: string }>(
    database,
    sql`SELECT name FROM user_profile WHERE user_id IN ${inList}`,
  )
  const audit = await rows<{ action: string }>(
    database,
    sql`SELECT action FROM users_audit WHERE user_id IN ${inList} ORDER BY timestamp`,
  )
  return {
    identities: userIds,
    registrations,
    grants: grants.map((g) => g.role_id),
    profiles: profiles.length,
    audit: audit.map((a) => a.action),
  }
}

export const registrationById = async (database: Database, id: string): Promise<Registration> => {
  const registration = await createRegistrationsRepository(database.db).findById(id)
  if (!registration) throw new Error(`no registration ${id}`)
  return registration
}

/** Waits (without asserting on time) until the background work moves the registration to `state`. */
export const waitForState = async (
  database: Database,
  id: string,
  state: RegistrationState,
  timeout = 20_000,
) =>
  vi.waitFor(
    async () => {
      const registration = await registrationById(database, id)
      expect(registration.state).toBe(state)
      return registration
    },
    { timeout, interval: 200 },
  )

export const transitionsOf = async (database: Database, id: string) =>
  (await createRegistrationsRepository(database.db).events(id))
    .filter((event) => event.fromState !== event.toState)
    .map((event) => `${event.fromState ?? '∅'}→${event.toState}`)
