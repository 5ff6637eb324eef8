import { sql } from 'drizzle-orm'
import type { Database } from '../../src/db/database.js'
import { allowedTransitions } from './registration-invariants.js'
import { rowsOf } from './sql-rows.js'

/**
 * The invariants of registration-invariants.ts, for every kind of durable record: the step
 * function (`register`), phase 1 alone (`identity`, whose users hold a profile and no grants until
 * phase 2) and deletions (`delete`). Written here, not derived from src/domain, so the code's own
 * transition table is checked against an independent statement of it.
 */
const allowedDeleteTransitions: ReadonlySet<string> = new Set([
  '∅→deleting',
  'deleting→deleting',
  'deleting→deleted',
  'deleting→failed',
  'deleting→needs_attention',
  'needs_attention→deleting',
])

const allowedByKind: Record<string, ReadonlySet<string>> = {
  register: allowedTransitions,
  identity: allowedTransitions,
  delete: allowedDeleteTransitions,
}

interface EventRow {
  registration_id: string
  kind: string
  from_state: string | null
  to_state: string
  state: string
}

/** Records whose event log does not tell a story their kind can have (see `invalidEventPaths`). */
export const invalidRecordPaths = async (database: Database): Promise<string[]> => {
  const events = await rowsOf<EventRow>(
    database,
    sql`SELECT r.id AS registration_id, r.kind, e.from_state, e.to_state, r.state
        FROM registration r LEFT JOIN registration_event e ON e.registration_id = r.id
        ORDER BY r.id, e.id`,
  )
  const byRecord = new Map<string, EventRow[]>()
  for (const event of events)
    byRecord.set(event.registration_id, [...(byRecord.get(event.registration_id) ?? []), event])
  const problems: string[] = []
  for (const [id, path] of byRecord) {
    const allowed = allowedByKind[path[0]!.kind]
    if (!allowed) {
      problems.push(`${id}: unknown kind ${path[0]!.kind}`)
      continue
    }
    if (path[0]!.to_state === null) {
      problems.push(`${id}: no events`)
      continue
    }
    const moves = path.map((event) => `${event.from_state ?? '∅'}→${event.to_state}`)
    let previous: string | null = null
    path.forEach((event, index) => {
      if (event.from_state !== previous || !allowed.has(moves[index]!))
        problems.push(`${id} (${path[0]!.kind}): ${moves.join(', ')} (at ${moves[index]})`)
      previous = event.to_state
    })
    if (previous !== path[0]!.state)
      problems.push(`${id}: state ${path[0]!.state} but events ${moves.join(', ')}`)
  }
  return problems
}

/**
 * IdP users (the local provider's identities) nothing accounts for: no grants, no profile (a
 * phase-1 user has one before phase 2 grants roles), and no record still working on them or
 * waiting for a person; and grants or profiles whose user is not in the IdP.
 */
export const unaccountedRows = async (database: Database) => ({
  identities: await rowsOf<{ id: string }>(
    database,
    sql`SELECT i.id FROM local_identity i
        WHERE NOT EXISTS (SELECT 1 FROM user_role r WHERE r.user_id = i.id)
          AND NOT EXISTS (SELECT 1 FROM user_profile p WHERE p.user_id = i.id)
          AND NOT EXISTS (SELECT 1 FROM registration g WHERE g.user_id = i.id
                          AND g.state IN ('pending', 'identity_created', 'compensating', 'deleting', 'needs_attention'))`,
  ),
  grantsWithoutIdentity: await rowsOf(
    database,
    sql`SELECT r.user_id FROM user_role r WHERE NOT EXISTS (SELECT 1 FROM local_identity i WHERE i.id = r.user_id)`,
  ),
  profilesWithoutIdentity: await rowsOf(
    database,
    sql`SELECT p.user_id FROM user_profile p WHERE NOT EXISTS (SELECT 1 FROM local_identity i WHERE i.id = p.user_id)`,
  ),
})
