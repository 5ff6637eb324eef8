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

const WORKABLE = ['pending', 'identity_created', 'compensating']

const event = (
  client: pg.Pool | pg.PoolClient,
  id: string,
  from: string | null,
  to: string,
  reason: string,
) =>
  client.query(
    'INSERT INTO registration_event (registration_id, from_state, to_state, actor, reason) VALUES ($1, $2, $3, $4, $5)',
    [id, from, to, 'bench', reason],
  )

const inTransaction = async (pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<void>) => {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await fn(client)
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK')
    throw error
  } finally {
    client.release()
  }
}

/**
 * The 24 statements (BEGIN and COMMIT included) one successful `POST /api/step/users` issues with the `local` identity
 * provider, in order, as the service's repositories write them (traced from the built service:
 * src/http/require-permissions.ts, src/features/register-user/, src/repositories/). Statements
 * outside a transaction each take a pooled connection, as drizzle does on a pool.
 */
export const registerThroughSql = async (pool: pg.Pool, callerId: string, email: string): Promise<void> => {
  const emailNormalised = email.toLowerCase()
  // 1. permission check (preHandler)
  await pool.query(
    `SELECT DISTINCT p.permission_name FROM user_role ur
       JOIN role_permission rp ON rp.role_id = ur.role_id
       JOIN permission p ON p.id = rp.permission_id
      WHERE ur.user_id = $1 AND ur.trust_id IS NULL`,
    [callerId],
  )
  // 2. roles validated before anything is written
  await pool.query('SELECT id FROM roles WHERE id IN ($1)', [RESEARCHER_ROLE_ID])
  // 3–6. the intent, pending, with its first event
  let id = ''
  const requestHash = createHash('sha256').update(email).digest('hex')
  await inTransaction(pool, async (tx) => {
    const inserted = await tx.query(
      `INSERT INTO registration (email, email_normalised, name, organisation, role_ids, trust_id, state,
         requested_by, idempotency_key, request_hash)
       VALUES ($1, $2, $3, $4, $5, NULL, 'pending', $6, NULL, $7) RETURNING *`,
      [
        email,
        emailNormalised,
        'Bench User',
        'Bench Org',
        JSON.stringify([RESEARCHER_ROLE_ID]),
        callerId,
        requestHash,
      ],
    )
    id = inserted.rows[0].id
    await event(tx, id, null, 'pending', 'registration requested')
  })
  // 7. claim the lease
  const owner = `${callerId}:${randomUUID()}`
  await pool.query(
    `UPDATE registration SET lease_owner = $1, lease_until = now() + make_interval(secs => $2)
      WHERE id = $3 AND state IN ($4, $5, $6) AND (lease_until IS NULL OR lease_until < now() OR lease_owner = $1)
      RETURNING *`,
    [owner, 60, id, ...WORKABLE],
  )
  // 8–9. note the create attempt
  await pool.query(
    `UPDATE registration SET state = 'pending', create_attempted_at = now(), updated_at = now()
      WHERE id = $1 AND state = 'pending' RETURNING *`,
    [id],
  )
  await event(pool, id, 'pending', 'pending', 'creating the identity-provider user')
  // 10. the local identity provider's create
  const userId = randomUUID()
  await pool.query(
    'INSERT INTO local_identity (id, email, email_normalised, created_at) VALUES ($1, $2, $3, now()) RETURNING *',
    [userId, email, emailNormalised],
  )
  // 11–12. pending → identity_created
  await pool.query(
    `UPDATE registration SET state = 'identity_created', user_id = $1, username = $2, attempts = 1,
       error_code = NULL, error_detail = NULL, updated_at = now()
      WHERE id = $3 AND state = 'pending' RETURNING *`,
    [userId, email, id],
  )
  await event(pool, id, 'pending', 'identity_created', 'identity-provider user created')
  // 13–23. the grant: one transaction
  await inTransaction(pool, async (tx) => {
    await tx.query('SELECT id FROM roles WHERE id IN ($1)', [RESEARCHER_ROLE_ID])
    await tx.query(
      `INSERT INTO user_profile (user_id, name, organisation) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET name = $2, organisation = $3, updated_at = now()`,
      [userId, 'Bench User', 'Bench Org'],
    )
    await tx.query('INSERT INTO users_audit (action, user_id, modified_by_user_id) VALUES ($1, $2, $3)', [
      'Registered user',
      userId,
      callerId,
    ])
    await tx.query('DELETE FROM user_role WHERE user_id = $1 AND trust_id IS NULL', [userId])
    await tx.query('INSERT INTO user_role (user_id, role_id) VALUES ($1, $2)', [userId, RESEARCHER_ROLE_ID])
    await tx.query('DELETE FROM user_role WHERE user_id = $1 AND role_id = $2 AND trust_id IS NOT NULL', [
      userId,
      TRUST_ADMIN_ROLE_ID,
    ])
    await tx.query('INSERT INTO users_audit (action, user_id, modified_by_user_id) VALUES ($1, $2, $3)', [
      'Updated user roles',
      userId,
      callerId,
    ])
    await tx.query(
      `UPDATE registration SET state = 'completed', attempts = 2, error_code = NULL, error_detail = NULL,
         updated_at = now() WHERE id = $1 AND state = 'identity_created' RETURNING *`,
      [id],
    )
    await event(tx, id, 'identity_created', 'completed', 'roles granted')
  })
  // 24. release the lease
  await pool.query(
    'UPDATE registration SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2',
    [id, owner],
  )
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
    const callerId = randomUUID()
    await pool.query('INSERT INTO user_role (user_id, role_id) VALUES ($1, $2)', [callerId, ADMIN_ROLE_ID])
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
            callerId,
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
