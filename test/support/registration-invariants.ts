import { sql } from 'drizzle-orm'
import type { Database } from '../../src/db/database.js'
import { rowsOf } from './sql-rows.js'

/**
 * Every move the saga (and an operator's retry or abandon) can make, as `from→to`; `∅` is the
 * registration being recorded. A `from→from` event is progress noted without a move.
 */
export const allowedTransitions: ReadonlySet<string> = new Set([
  '∅→pending',
  'pending→pending',
  'pending→identity_created',
  'pending→failed',
  'pending→compensating',
  'identity_created→identity_created',
  'identity_created→completed',
  'identity_created→compensating',
  'compensating→compensating',
  'compensating→rolled_back',
  'compensating→needs_attention',
  'needs_attention→compensating',
])

interface EventRow {
  registration_id: string
  from_state: string | null
  to_state: string
  state: string
}

/**
 * Registrations whose event log does not tell their story: a first event that is not `∅→pending`,
 * an event that does not start where the previous one ended, a move the saga cannot make, or a
 * last event that is not the registration's state (a state written without its event). Empty
 * when every path is valid.
 */
export const invalidEventPaths = async (database: Database): Promise<string[]> => {
  const events = await rowsOf<EventRow>(
    database,
    sql`SELECT e.registration_id, e.from_state, e.to_state, r.state
        FROM registration r LEFT JOIN registration_event e ON e.registration_id = r.id
        ORDER BY r.id, e.id`,
  )
  const problems: string[] = []
  const byRegistration = new Map<string, EventRow[]>()
  for (const event of events) {
    const id = event.registration_id ?? 'no events'
    const path = byRegistration.get(id)
    if (path) path.push(event)
    else byRegistration.set(id, [event])
  }
  for (const [id, path] of byRegistration) {
    if (id === 'no events') {
      problems.push(`${path.length} registration(s) without any event`)
      continue
    }
    let previous: string | null = null
    const moves = path.map((event) => `${event.from_state ?? '∅'}→${event.to_state}`)
    path.forEach((event, index) => {
      const move = moves[index]!
      if (event.from_state !== previous || !allowedTransitions.has(move))
        problems.push(`${id}: ${moves.join(', ')} (at ${move})`)
      previous = event.to_state
    })
    if (previous !== path[0]!.state)
      problems.push(`${id}: state ${path[0]!.state} but events ${moves.join(', ')}`)
  }
  return [...new Set(problems)]
}

/**
 * IdP users (the local provider's identities) that nothing accounts for: no grants and no
 * registration still working on them; and grants whose user is not in the IdP.
 */
export const orphans = async (database: Database) => ({
  identitiesWithoutGrants: await rowsOf(
    database,
    sql`SELECT i.id, i.email_normalised FROM local_identity i
        WHERE NOT EXISTS (SELECT 1 FROM user_role r WHERE r.user_id = i.id)
          AND NOT EXISTS (SELECT 1 FROM registration g WHERE g.user_id = i.id
                          AND g.state IN ('pending', 'identity_created', 'compensating', 'needs_attention'))`,
  ),
  grantsWithoutIdentity: await rowsOf(
    database,
    sql`SELECT r.user_id FROM user_role r WHERE NOT EXISTS (SELECT 1 FROM local_identity i WHERE i.id = r.user_id)`,
  ),
})
