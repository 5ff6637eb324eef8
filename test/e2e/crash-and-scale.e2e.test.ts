import { sql } from 'drizzle-orm'
import { describe, expect, inject, it, onTestFinished, vi } from 'vitest'
import type { Database } from '../../src/db/database.js'
import { RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { injectDatabaseFault, installDatabaseFaults } from '../support/database-faults.js'
import { rowsOf } from '../support/sql-rows.js'
import { openTestPostgres } from '../support/test-database.js'
import { ensureBuilt, runCli, startServe } from './cli-process.js'

const rows = rowsOf

/** Waits (without asserting on time) until the registration for `email` reaches `state`. */
const waitForEmailState = (database: Database, email: string, state: string, timeout: number) =>
  vi.waitFor(
    async () => {
      const [registration] = await rows<{ state: string }>(
        database,
        sql`SELECT state FROM registration WHERE email_normalised = ${email}`,
      )
      expect(registration?.state).toBe(state)
    },
    { timeout, interval: 200 },
  )

const registrationBody = (email: string) =>
  JSON.stringify({ email, name: 'Scale Test', organisation: 'Example Org', roles: [RESEARCHER_ROLE_ID] })

/** Identities with no grants and no live registration, or grants whose user is not in the IdP. */
const orphans = async (database: Database) => ({
  identitiesWithoutGrants: await rows(
    database,
    sql`SELECT i.id FROM local_identity i
        WHERE NOT EXISTS (SELECT 1 FROM user_role r WHERE r.user_id = i.id)
          AND NOT EXISTS (SELECT 1 FROM registration g WHERE g.user_id = i.id
                          AND g.state IN ('pending', 'identity_created', 'compensating', 'needs_attention'))`,
  ),
  grantsWithoutIdentity: await rows(
    database,
    sql`SELECT r.user_id FROM user_role r WHERE NOT EXISTS (SELECT 1 FROM local_identity i WHERE i.id = r.user_id)`,
  ),
})

// Whole processes on a real PostgreSQL: a process can be killed and another can share the database.
describe.skipIf(!inject('postgresUrl'))('flip-users processes on one PostgreSQL', () => {
  it('finishes a registration after the process is SIGKILLed between IdP create and role grants', async () => {
    await ensureBuilt()
    const database = await openTestPostgres()
    try {
      const env = {
        DATABASE_URL: database.url,
        FLIP_ADMIN_EMAIL: 'ops@example.org',
        REGISTRATION_LEASE_SECONDS: '2',
      }
      const first = await startServe(env)
      // Whatever fails before the kill, the first server must not outlive the test.
      onTestFinished(() => {
        if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL')
      })
      await installDatabaseFaults(database)
      const token = (await runCli(['token', '--email', 'ops@example.org'], env)).stdout.trim()
      // Hold the role-grant transaction open so the process is caught after the IdP user exists.
      await injectDatabaseFault(database, 'user_role', '00000', 1, 5)
      const email = `crash.${Date.now()}@example.org`
      void fetch(`${first.url}/api/step/users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: registrationBody(email),
      }).catch(() => undefined)
      // The move to identity_created commits with the grants (one statement), so the moment
      // is the IdP user existing while its record is still pending: the restart adopts it.
      await vi.waitFor(
        async () => {
          const [caught] = await rows<{ state: string }>(
            database,
            sql`SELECT g.state FROM registration g JOIN local_identity i USING (email_normalised)
                WHERE g.email_normalised = ${email}`,
          )
          expect(caught?.state).toBe('pending')
        },
        { timeout: 15_000, interval: 100 },
      )
      first.child.kill('SIGKILL')
      await first.exited

      const second = await startServe(env)
      try {
        await waitForEmailState(database, email, 'completed', 60_000)
      } finally {
        second.child.kill('SIGTERM')
        await second.exited
      }
      const identities = await rows(
        database,
        sql`SELECT id FROM local_identity WHERE email_normalised = ${email}`,
      )
      expect(identities).toHaveLength(1)
      const grants = await rows(
        database,
        sql`SELECT role_id FROM user_role WHERE user_id = ${(identities[0] as { id: string }).id}`,
      )
      expect(grants).toEqual([{ role_id: RESEARCHER_ROLE_ID }])
      expect(await orphans(database)).toEqual({ identitiesWithoutGrants: [], grantsWithoutIdentity: [] })
    } finally {
      await database.close()
    }
    // Its waits (a restart, a lease to expire) are bounded on their own; this covers them on a busy CI core.
  }, 180_000)

  it('works 200 registrations with two processes under injected transient faults, each once, with zero orphans', async () => {
    await ensureBuilt()
    const database = await openTestPostgres()
    try {
      const env = {
        DATABASE_URL: database.url,
        FLIP_ADMIN_EMAIL: 'ops@example.org',
        REGISTRATION_LEASE_SECONDS: '10',
      }
      const servers = await Promise.all([startServe(env), startServe(env)])
      try {
        await installDatabaseFaults(database)
        const token = (await runCli(['token', '--email', 'ops@example.org'], env)).stdout.trim()
        // Transient faults on both sides: the local IdP's store loses its connection (→ Unavailable)
        // and role grants meet serialization failures.
        await injectDatabaseFault(database, 'local_identity', '08006', 40)
        await injectDatabaseFault(database, 'user_role', '40001', 80)
        const emails = Array.from({ length: 200 }, (_, i) => `scale.${i}.${Date.now()}@example.org`)
        const statuses: number[] = []
        const queue = [...emails.entries()]
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            for (let next = queue.shift(); next; next = queue.shift()) {
              const [index, email] = next
              const response = await fetch(`${servers[index % 2]!.url}/api/step/users`, {
                method: 'POST',
                headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
                body: registrationBody(email),
              })
              statuses.push(response.status)
            }
          }),
        )
        expect(statuses.every((status) => status === 201 || status === 202)).toBe(true)
        expect(statuses.filter((status) => status === 202).length).toBeGreaterThan(0)
        await vi.waitFor(
          async () => {
            const [open] = await rows<{ n: number }>(
              database,
              sql`SELECT count(*)::int AS n FROM registration WHERE state NOT IN ('completed', 'failed', 'rolled_back')`,
            )
            expect(open?.n).toBe(0)
          },
          { timeout: 120_000, interval: 500 },
        )
      } finally {
        for (const server of servers) server.child.kill('SIGTERM')
        await Promise.all(servers.map((server) => server.exited))
      }
      const states = await rows<{ state: string; n: number }>(
        database,
        sql`SELECT state, count(*)::int AS n FROM registration GROUP BY state`,
      )
      expect(states).toEqual([{ state: 'completed', n: 200 }])
      const perEmail = await rows<{ n: number }>(
        database,
        sql`SELECT count(*)::int AS n FROM local_identity WHERE email_normalised LIKE 'scale.%' GROUP BY email_normalised`,
      )
      expect(perEmail).toHaveLength(200)
      expect(perEmail.every((row) => row.n === 1)).toBe(true)
      // Each step happened once per registration: leases kept the two processes apart.
      const doubled = await rows(
        database,
        sql`SELECT registration_id, from_state, to_state FROM registration_event
            WHERE from_state IS DISTINCT FROM to_state
            GROUP BY registration_id, from_state, to_state HAVING count(*) > 1`,
      )
      expect(doubled).toEqual([])
      expect(await orphans(database)).toEqual({ identitiesWithoutGrants: [], grantsWithoutIdentity: [] })
    } finally {
      await database.close()
    }
  }, 180_000)
})
