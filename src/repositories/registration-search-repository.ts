import { and, asc, count, desc, eq, gte, inArray, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/database.js'
import { registration, registrationEvent } from '../db/schema/index.js'
import type { RegistrationKind, RegistrationState } from '../domain/registration-state.js'
import type { Registration, RegistrationEvent } from './registrations-repository.js'

/** The operator's filters. `states` empty or absent means every state. */
export interface RegistrationFilter {
  states?: readonly RegistrationState[]
  /** Contained in the email, case-insensitively. */
  email?: string
  /** Created at or after. */
  since?: Date
}

// The filters other than state, shared by the page and the per-state counts.
const otherFilters = (filter: RegistrationFilter): SQL[] => {
  const conditions: SQL[] = []
  const needle = filter.email?.trim().toLowerCase()
  // strpos, not LIKE: the text is matched literally, with no wildcards to escape. The stored
  // normalised email is already trimmed and lower-cased.
  if (needle) conditions.push(sql`strpos(${registration.emailNormalised}, ${needle}) > 0`)
  if (filter.since) conditions.push(gte(registration.createdAt, filter.since))
  return conditions
}

/** Read models over many registrations: the operator's list, its counts, the metrics gauge. */
export const createRegistrationSearchRepository = (db: Db) => ({
  /** One page, newest first, and the number of rows matching every filter. */
  async page(
    filter: RegistrationFilter,
    page: { limit: number; offset: number },
  ): Promise<{ rows: Registration[]; total: number }> {
    const conditions = otherFilters(filter)
    if (filter.states && filter.states.length > 0)
      conditions.push(inArray(registration.state, [...filter.states]))
    const where = conditions.length > 0 ? and(...conditions) : undefined
    const [rows, [counted]] = await Promise.all([
      db
        .select()
        .from(registration)
        .where(where)
        .orderBy(desc(registration.createdAt), desc(registration.id))
        .limit(page.limit)
        .offset(page.offset),
      db.select({ total: count() }).from(registration).where(where),
    ])
    return { rows: rows as Registration[], total: Number(counted?.total ?? 0) }
  },

  /**
   * The events written for one registration at or after `since` (by the database clock), oldest
   * first, each with the registration's attempt counters now: what one piece of work did, in one
   * query, for its log lines.
   */
  async workSince(
    id: string,
    since: Date,
  ): Promise<
    { event: RegistrationEvent; kind: RegistrationKind; attempts: number; compensationAttempts: number }[]
  > {
    const rows = await db
      .select({
        event: registrationEvent,
        kind: registration.kind,
        attempts: registration.attempts,
        compensationAttempts: registration.compensationAttempts,
      })
      .from(registrationEvent)
      .innerJoin(registration, eq(registration.id, registrationEvent.registrationId))
      .where(and(eq(registrationEvent.registrationId, id), gte(registrationEvent.at, since)))
      .orderBy(asc(registrationEvent.id))
    return rows.map((row) => ({ ...row, kind: row.kind as RegistrationKind }))
  },

  /** How many registrations are in each state, over every filter but the state filter. */
  async countByState(filter: Omit<RegistrationFilter, 'states'> = {}): Promise<Map<string, number>> {
    const conditions = otherFilters(filter)
    const rows = await db
      .select({ state: registration.state, total: count() })
      .from(registration)
      .where(conditions.length > 0 ? and(...conditions) : undefined)
      .groupBy(registration.state)
    return new Map(rows.map((row) => [row.state, Number(row.total)]))
  },
})
