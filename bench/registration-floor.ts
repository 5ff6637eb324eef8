import { createHash, randomUUID } from 'node:crypto'
import pg from 'pg'
import { startCpuWatch } from './lib/cpu.js'
import { summariseLatencies } from './lib/stats.js'

// The seeded ids (src/domain/roles.ts): the bench registers Researchers, as the HTTP run does.
export const RESEARCHER_ROLE_ID = '10b64ed0-bc90-4c01-9cc3-933c704905c1'
const ADMIN_ROLE_ID = '64d3145b-034c-4328-b637-8eb54313b7c5'
const TRUST_ADMIN_ROLE_ID = '8a3d6f14-9b52-4e07-a6c8-1d4f7b2e9053'

/** The pool size `openPostgres` gives the service (src/db/open-postgres.ts): the floor gets the same. */
export const SERVICE_POOL_SIZE = 10

const REGISTRATION_COLUMNS = `id, kind, email, email_normalised, name, organisation, role_ids, trust_id, state,
  user_id, username, requested_by, idempotency_key, request_hash, attempts, compensation_attempts,
  create_attempted_at, database_compensated_at, error_code, error_detail, failure_detail, lease_owner,
  lease_until, created_at, updated_at`

/**
 * The 5 statements one successful `POST /api/step/users` issues with the `local` identity
 * provider (3 of them commit), in order, as the service writes them (traced from the built
 * service with test/support/statement-log.ts: src/http/require-permissions.ts,
 * src/features/register-user/, src/repositories/registrations-repository.ts and
 * registration-completion-writes.ts). Role ids are cached by the service, so no roles query; the
 * lease reports the transitions from what the writes returned, so no read of the events either.
 * Each takes a pooled connection, as drizzle does on a pool, and is a named prepared statement,
 * as the service's are (src/db/prepared-statements.ts): parsed and planned once per connection.
 */
export const registerThroughSql = async (
  pool: pg.Pool,
  caller: { id: string; emailNormalised: string },
  email: string,
): Promise<void> => {
  const emailNormalised = email.toLowerCase()
  // 1. the caller's account (token verification: enabled, MFA)
  await pool.query({
    name: 'flip_users_floor_account',
    text: `SELECT id, email, email_normalised, enabled, mfa_enabled, created_at FROM local_identity
      WHERE email_normalised = $1`,
    values: [caller.emailNormalised],
  })
  // 2. permission check (preHandler)
  await pool.query({
    name: 'flip_users_floor_permissions',
    text: `SELECT DISTINCT p.permission_name FROM user_role ur
       JOIN role_permission rp ON rp.role_id = ur.role_id
       JOIN permission p ON p.id = rp.permission_id
      WHERE ur.user_id = $1 AND ur.trust_id IS NULL`,
    values: [caller.id],
  })
  // 3. the intent, pending, with its lease, its first create attempt and its first event (commit 1)
  const requestHash = createHash('sha256').update(email).digest('hex')
  const owner = `${caller.id}:${randomUUID()}`
  const inserted = await pool.query({
    name: 'flip_users_floor_intent',
    text: `WITH inserted AS (
       INSERT INTO registration (kind, email, email_normalised, name, organisation, role_ids, trust_id,
         state, requested_by, idempotency_key, request_hash, create_attempted_at, lease_owner, lease_until)
       VALUES ('register', $1, $2, $3, $4, $5, NULL, 'pending', $6, NULL, $7, now(), $8,
         now() + make_interval(secs => 60))
       RETURNING ${REGISTRATION_COLUMNS}),
     logged AS (
       INSERT INTO registration_event (registration_id, from_state, to_state, actor, reason)
       SELECT i.id, e.event->>'from', e.event->>'to', e.event->>'actor', e.event->>'reason'
       FROM inserted AS i CROSS JOIN jsonb_array_elements($9::jsonb) WITH ORDINALITY AS e(event, ord)
       ORDER BY e.ord)
     SELECT ${REGISTRATION_COLUMNS} FROM inserted`,
    values: [
      email,
      emailNormalised,
      'Bench User',
      'Bench Org',
      JSON.stringify([RESEARCHER_ROLE_ID]),
      caller.id,
      requestHash,
      owner,
      JSON.stringify([{ from: null, to: 'pending', actor: 'bench', reason: 'registration requested' }]),
    ],
  })
  const id = inserted.rows[0].id
  // 4. the local identity provider's create (commit 2)
  const userId = randomUUID()
  await pool.query({
    name: 'flip_users_floor_identity',
    text: `INSERT INTO local_identity (id, email, email_normalised, created_at) VALUES ($1, $2, $3, now())
     RETURNING id, email, email_normalised, enabled, mfa_enabled, created_at`,
    values: [userId, email, emailNormalised],
  })
  // 5. pending → identity_created → completed, profile, both audit rows, the grants and the
  //    lease's end: one statement (commit 3)
  await pool.query({
    name: 'flip_users_floor_completion',
    text: `WITH moved AS (
       UPDATE registration SET state = 'completed', user_id = $1, username = $2, attempts = 2,
         error_code = NULL, error_detail = NULL, lease_owner = NULL, lease_until = NULL, updated_at = now()
        WHERE id = $3 AND state = 'pending'
       RETURNING ${REGISTRATION_COLUMNS}),
     logged AS (
       INSERT INTO registration_event (registration_id, from_state, to_state, actor, reason)
       SELECT m.id, e.event->>'from', e.event->>'to', e.event->>'actor', e.event->>'reason'
       FROM moved AS m CROSS JOIN jsonb_array_elements($6::jsonb) WITH ORDINALITY AS e(event, ord)
       ORDER BY e.ord),
     profiled AS (
       INSERT INTO user_profile (user_id, name, organisation)
       SELECT user_id, name, organisation FROM moved
       ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, organisation = excluded.organisation, updated_at = now()),
     audited AS (
       INSERT INTO users_audit (action, user_id, modified_by_user_id)
       SELECT a.action, m.user_id, m.requested_by
       FROM moved AS m CROSS JOIN jsonb_array_elements_text($7::jsonb) WITH ORDINALITY AS a(action, ord)
       ORDER BY a.ord),
     ungranted AS (
       DELETE FROM user_role AS ur USING moved AS m
        WHERE ur.user_id = m.user_id
          AND ((ur.trust_id IS NULL AND ur.role_id::text NOT IN (SELECT jsonb_array_elements_text($4::jsonb)))
            OR (ur.role_id = $5::uuid AND ur.trust_id IS NOT NULL))),
     granted AS (
       INSERT INTO user_role (user_id, role_id, trust_id)
       SELECT m.user_id, g.role_id::uuid, NULL::uuid
       FROM moved AS m CROSS JOIN jsonb_array_elements_text($4::jsonb) AS g(role_id)
       ON CONFLICT DO NOTHING)
     SELECT ${REGISTRATION_COLUMNS} FROM moved`,
    values: [
      userId,
      email,
      id,
      JSON.stringify([RESEARCHER_ROLE_ID]),
      TRUST_ADMIN_ROLE_ID,
      JSON.stringify([
        { from: 'pending', to: 'identity_created', actor: 'bench', reason: 'identity-provider user created' },
        { from: 'identity_created', to: 'completed', actor: 'bench', reason: 'roles granted' },
      ]),
      JSON.stringify(['Registered user', 'Updated user roles']),
    ],
  })
}

export interface FloorRun {
  connections: number
  registrations: number
  errors: number
  /** The first error's message, when there were errors. */
  firstError?: string
  seconds: number
  perSecond: number
  latencyMs: ReturnType<typeof summariseLatencies>
  /** The whole machine's CPU use during the run, all cores, 0–100 %. */
  machineBusyPercent: number | undefined
  /** CPU time per registration: this process (the pg client), the local PostgreSQL, the rest of the machine. */
  cpuMsPerRegistration: { client: number | undefined; postgres: number | undefined; rest: number | undefined }
}

/**
 * The floor: `connections` workers each registering through SQL alone, back to back, on a pool
 * the size of the service's, for `durationSeconds` or until `amount` registrations are done.
 * The database must be migrated and seeded.
 */
export const runFloor = async (
  databaseUrl: string,
  options: { connections: number; durationSeconds?: number; amount?: number; runId: string },
): Promise<FloorRun> => {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: SERVICE_POOL_SIZE })
  try {
    // A caller who holds Admin, so the permission query reads what it reads in the service.
    const caller = {
      id: randomUUID(),
      emailNormalised: `floor-caller-${options.runId}-${options.connections}@bench.example.org`,
    }
    await pool.query('INSERT INTO user_role (user_id, role_id) VALUES ($1, $2)', [caller.id, ADMIN_ROLE_ID])
    await pool.query('INSERT INTO local_identity (id, email, email_normalised) VALUES ($1, $2, $2)', [
      caller.id,
      caller.emailNormalised,
    ])
    const latencies: number[] = []
    let started = 0
    let errors = 0
    let firstError: string | undefined
    const cpu = await startCpuWatch()
    const begin = performance.now()
    const deadline = begin + (options.durationSeconds ?? Number.POSITIVE_INFINITY) * 1000
    const more = () =>
      options.amount !== undefined ? started < options.amount : performance.now() < deadline
    const worker = async () => {
      while (more()) {
        const n = started++
        const t0 = performance.now()
        try {
          await registerThroughSql(
            pool,
            caller,
            `floor-${options.runId}-${options.connections}-${n}@bench.example.org`,
          )
          latencies.push(performance.now() - t0)
        } catch (error) {
          errors++
          firstError ??= error instanceof Error ? error.message : String(error)
        }
      }
    }
    await Promise.all(Array.from({ length: options.connections }, worker))
    const seconds = (performance.now() - begin) / 1000
    const { machineBusyPercent, machineBusyCpuMs, selfCpuMs, postgresCpuMs } = await cpu.stop()
    const perRegistration = (ms: number | undefined) =>
      ms === undefined || latencies.length === 0 ? undefined : ms / latencies.length
    return {
      connections: options.connections,
      registrations: latencies.length,
      errors,
      ...(firstError === undefined ? {} : { firstError }),
      seconds,
      perSecond: latencies.length / seconds,
      latencyMs: summariseLatencies(latencies),
      machineBusyPercent,
      cpuMsPerRegistration: {
        client: perRegistration(selfCpuMs),
        postgres: perRegistration(postgresCpuMs),
        rest: perRegistration(
          machineBusyCpuMs === undefined ? undefined : machineBusyCpuMs - selfCpuMs - (postgresCpuMs ?? 0),
        ),
      },
    }
  } finally {
    await pool.end()
  }
}
