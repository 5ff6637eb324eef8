import { spawn, spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { Database } from '../../src/db/database.js'
import { migrateAndSeed } from '../../src/db/migrate.js'
import { openPglite, pgliteDirectoryOf } from '../../src/db/open-pglite.js'
import { normaliseEmail } from '../../src/domain/email.js'
import { RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { createRegistrationsRepository } from '../../src/repositories/registrations-repository.js'
import { uniqueEmail } from '../support/factories.js'
import { openTestPostgres } from '../support/test-database.js'
import { ensureBuilt, runCli } from './cli-process.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const cli = path.join(root, 'dist/cli/main.js')

interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * The built `flip-users registrations` commands as an operator runs them, against a real
 * PostgreSQL: exit codes, stdout and stderr.
 */
describe.skipIf(inject('postgresUrl') === undefined)(
  'flip-users registrations (built CLI, PostgreSQL)',
  () => {
    let database: Database & { url: string }
    let cwd: string
    const ids = { failed: '', pending: '', toAbandon: '' }

    const run = (...args: string[]): Promise<CliResult> =>
      new Promise((resolve, reject) => {
        // Only what the CLI needs: nothing from the test runner's environment leaks in.
        const child = spawn(process.execPath, [cli, ...args], {
          cwd,
          env: { PATH: process.env.PATH ?? '', DATABASE_URL: database.url, NODE_NO_WARNINGS: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (chunk) => {
          stdout += chunk
        })
        child.stderr.on('data', (chunk) => {
          stderr += chunk
        })
        child.on('error', reject)
        child.on('close', (code) => resolve({ code, stdout, stderr }))
      })

    const record = async (email: string) => {
      const requester = randomUUID()
      return createRegistrationsRepository(database.db).insert(
        {
          email,
          emailNormalised: normaliseEmail(email),
          name: 'Test User',
          organisation: 'Example Org',
          roleIds: [RESEARCHER_ROLE_ID],
          trustId: null,
          requestedBy: requester,
          idempotencyKey: null,
          requestHash: 'e2e',
        },
        requester,
      )
    }

    beforeAll(async () => {
      await ensureBuilt()
      database = await openTestPostgres()
      // A scratch working directory: the CLI must not need (or create) anything in the repository.
      cwd = await mkdtemp(path.join(os.tmpdir(), 'flip-users-cli-'))
      const failed = await record(uniqueEmail('failed'))
      await createRegistrationsRepository(database.db).transition(failed, {
        from: 'pending',
        to: 'failed',
        actor: 'test',
        reason: 'the email already has an identity-provider user',
        patch: { errorCode: 'user.email_exists', errorDetail: 'User already exists' },
      })
      ids.failed = failed.id
      ids.toAbandon = (await record(uniqueEmail('abandon'))).id
      ids.pending = (await record(uniqueEmail('pending'))).id
    }, 180_000)

    afterAll(async () => {
      await database?.close()
      if (cwd) await rm(cwd, { recursive: true, force: true })
    })

    it('lists registrations newest first as JSON', async () => {
      const { code, stdout } = await run('registrations', 'list', '--json')
      expect(code).toBe(0)
      const rows = JSON.parse(stdout)
      expect(rows.map((row: { registration_id: string }) => row.registration_id)).toEqual([
        ids.pending,
        ids.toAbandon,
        ids.failed,
      ])
      expect(rows[2]).toMatchObject({ state: 'failed', user_id: null, attempts: 0 })
    })

    it('filters the list by state and limits it', async () => {
      const failed = await run('registrations', 'list', '--state', 'failed', '--json')
      expect(failed.code).toBe(0)
      expect(JSON.parse(failed.stdout)).toEqual([
        expect.objectContaining({ registration_id: ids.failed, state: 'failed' }),
      ])
      const one = await run('registrations', 'list', '--limit', '1', '--json')
      expect(JSON.parse(one.stdout)).toHaveLength(1)
    })

    it('prints one line per registration under a header', async () => {
      const { code, stdout } = await run('registrations', 'list', '--state', 'pending')
      expect(code).toBe(0)
      const lines = stdout.trimEnd().split('\n')
      expect(lines[0]).toMatch(/^ID\s+KIND\s+STATE\s+EMAIL\s+USER ID\s+ATTEMPTS\s+UPDATED$/)
      expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 3))).toEqual([
        [ids.pending, 'register', 'pending'],
        [ids.toAbandon, 'register', 'pending'],
      ])
    })

    it('rejects an unknown state with exit 64 and names the valid ones', async () => {
      const { code, stdout, stderr } = await run('registrations', 'list', '--state', 'stuck')
      expect(code).toBe(64)
      expect(stdout).toBe('')
      expect(stderr).toContain('unknown state "stuck"; expected one of pending, identity_created')
    })

    it('shows one registration with its history', async () => {
      const { code, stdout } = await run('registrations', 'show', ids.failed)
      expect(code).toBe(0)
      const view = JSON.parse(stdout)
      expect(view).toMatchObject({
        registration_id: ids.failed,
        state: 'failed',
        last_error: 'User already exists',
      })
      expect(view.events.map((event: { from: string | null; to: string }) => [event.from, event.to])).toEqual(
        [
          [null, 'pending'],
          ['pending', 'failed'],
        ],
      )
    })

    it('answers exit 66 for a registration that does not exist', async () => {
      const id = randomUUID()
      for (const subcommand of ['show', 'retry', 'abandon']) {
        const { code, stderr } = await run('registrations', subcommand, id)
        expect(code).toBe(66)
        expect(stderr).toBe(
          `flip-users registrations ${subcommand}: no registration ${id} — list them with "flip-users registrations list"\n`,
        )
      }
      expect((await run('registrations', 'show', 'not-an-id')).code).toBe(66)
    })

    it('refuses to retry a registration in a final state', async () => {
      const { code, stderr } = await run('registrations', 'retry', ids.failed)
      expect(code).toBe(64)
      expect(stderr).toBe(
        `flip-users registrations retry: Registration ${ids.failed} is already failed — only pending, identity_created, compensating or needs_attention registrations can be operated\n`,
      )
    })

    it('retries a pending registration to completion and prints its state', async () => {
      const { code, stdout } = await run('registrations', 'retry', ids.pending)
      expect(code).toBe(0)
      expect(stdout).toBe(`Registration ${ids.pending} is now completed.\n`)
      const registration = await createRegistrationsRepository(database.db).findById(ids.pending)
      expect(registration).toMatchObject({ state: 'completed', userId: expect.any(String), leaseOwner: null })
    })

    it('abandons a registration that never reached the identity provider', async () => {
      const { code, stdout } = await run('registrations', 'abandon', ids.toAbandon)
      expect(code).toBe(0)
      expect(stdout).toContain(`Registration ${ids.toAbandon} is now failed.`)
      const events = await createRegistrationsRepository(database.db).events(ids.toAbandon)
      expect(events.at(-1)).toMatchObject({
        toState: 'failed',
        actor: 'operator',
        reason: 'abandoned by an operator',
      })
    })

    it('asks the operator to wait (exit 75) when the last create attempt is too recent to judge', async () => {
      const registrations = createRegistrationsRepository(database.db)
      const { id } = await record(uniqueEmail('settling'))
      await registrations.note(
        { id, kind: 'register', state: 'pending' },
        'test',
        'creating the identity-provider user',
        {
          createAttemptedAt: new Date(),
        },
      )
      const { code, stderr } = await run('registrations', 'abandon', id)
      expect(code).toBe(75)
      expect(stderr).toMatch(
        /^flip-users registrations abandon: .* that user may still appear — try again in \d+ s\n$/,
      )
      expect(await registrations.findById(id)).toMatchObject({ state: 'pending', leaseOwner: null })
    })

    it('says a registration held by a process that is gone waits for its lease, naming when it expires, for retry and abandon', async () => {
      const registrations = createRegistrationsRepository(database.db)
      const { id } = await record(uniqueEmail('stale-lease'))
      // A worker on this host whose process has exited, holding the lease for ten more minutes.
      const gone = spawnSync('true').pid
      await database.db.execute(
        sql`UPDATE registration SET lease_owner = ${`worker:${os.hostname()}:${gone}:${randomUUID()}`},
            lease_until = now() + interval '10 minutes' WHERE id = ${id}`,
      )
      const { leaseUntil } = (await registrations.findById(id))!
      const until = leaseUntil!.toISOString()
      const { code, stdout } = await run('registrations', 'retry', id)
      expect(code).toBe(0)
      expect(stdout).toBe(
        `Registration ${id} is now pending.\n` +
          `It is held until ${until} by a worker that is not answering (worker, pid ${gone} on ${os.hostname()}); it will be picked up after ${until}.\n`,
      )
      expect(stdout).not.toContain('is working on it')

      const abandon = await run('registrations', 'abandon', id)
      expect(abandon).toEqual({
        code: 75,
        stdout: '',
        stderr: `flip-users registrations abandon: registration ${id} is held until ${until} by a worker that is not answering (worker, pid ${gone} on ${os.hostname()}) — run this again after ${until}\n`,
      })
    })

    it('says when a lease held elsewhere expires when it cannot tell whether the holder is alive', async () => {
      const { id } = await record(uniqueEmail('foreign-lease'))
      await database.db.execute(
        sql`UPDATE registration SET lease_owner = ${`worker:${randomUUID()}`},
            lease_until = now() + interval '10 minutes' WHERE id = ${id}`,
      )
      const { code, stdout } = await run('registrations', 'retry', id)
      expect(code).toBe(0)
      expect(stdout).toMatch(
        /^It is held until \S+Z by another worker; if that worker has stopped, it will be picked up after \S+Z\.$/m,
      )
    })
  },
)

describe('flip-users registrations retry, embedded', () => {
  it('says a leased registration is held by a worker that is not answering: the data directory has one owner, so its holder is gone', async () => {
    await ensureBuilt()
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'flip-users-cli-'))
    try {
      const database = await openPglite(pgliteDirectoryOf(dataDir))
      let id = ''
      let until = ''
      try {
        await migrateAndSeed(database)
        const registrations = createRegistrationsRepository(database.db)
        const requester = randomUUID()
        const email = uniqueEmail('embedded-lease')
        ;({ id } = await registrations.insert(
          {
            email,
            emailNormalised: normaliseEmail(email),
            name: 'Test User',
            organisation: 'Example Org',
            roleIds: [RESEARCHER_ROLE_ID],
            trustId: null,
            requestedBy: requester,
            idempotencyKey: null,
            requestHash: 'e2e',
          },
          requester,
        ))
        // Even a holder whose pid is alive (this test's own) cannot be working on it: embedded,
        // the command owns the data directory, so whoever left the lease has no database.
        await database.db.execute(
          sql`UPDATE registration SET lease_owner = ${`worker:${os.hostname()}:${process.pid}:${randomUUID()}`},
              lease_until = now() + interval '10 minutes' WHERE id = ${id}`,
        )
        until = (await registrations.findById(id))!.leaseUntil!.toISOString()
      } finally {
        await database.close()
      }
      const { code, stdout } = await runCli(['registrations', 'retry', id], { DATA_DIR: dataDir })
      expect(code).toBe(0)
      expect(stdout).toBe(
        `Registration ${id} is now pending.\n` +
          `It is held until ${until} by a worker that is not answering (worker, pid ${process.pid} on ${os.hostname()}); it will be picked up after ${until}.\n`,
      )
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  }, 120_000)
})
