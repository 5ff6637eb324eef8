import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { rowsOf } from '../support/sql-rows.js'
import { openTestPostgres } from '../support/test-database.js'
import { cliPath, ensureBuilt, runCli } from './cli-process.js'

describe.skipIf(!inject('postgresUrl'))('flip-users users import', () => {
  it('resumes an import killed part-way: every row ends in exactly one final state, no IdP user twice', async () => {
    await ensureBuilt()
    const database = await openTestPostgres()
    const dir = await mkdtemp(path.join(os.tmpdir(), 'flip-users-import-'))
    try {
      const env = {
        DATABASE_URL: database.url,
        FLIP_ADMIN_EMAIL: 'ops@example.org',
        REGISTRATION_LEASE_SECONDS: '2',
      }
      const file = path.join(dir, 'users.csv')
      const emails = Array.from({ length: 300 }, (_, i) => `resume.${i}@example.org`)
      await writeFile(
        file,
        ['email,name,organisation,roles', ...emails.map((e, i) => `${e},User ${i},Org,Researcher`)].join(
          '\n',
        ),
      )

      const first = spawn(process.execPath, [cliPath, 'users', 'import', file, '--concurrency', '1'], {
        env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
        stdio: 'ignore',
      })
      const exited = new Promise((resolve) => first.on('close', resolve))
      await vi.waitFor(
        async () => {
          const [count] = await rowsOf<{ n: number }>(
            database,
            sql`SELECT count(*)::int AS n FROM registration`,
          )
          expect(count!.n).toBeGreaterThanOrEqual(60)
        },
        { timeout: 60_000, interval: 20 },
      )
      first.kill('SIGKILL')
      await exited
      const [partial] = await rowsOf<{ n: number }>(
        database,
        sql`SELECT count(*)::int AS n FROM registration`,
      )
      expect(partial!.n).toBeLessThan(300)

      const second = await runCli(['users', 'import', file], env)
      expect(second.stderr).not.toMatch(/Error/)
      expect(second.code).toBe(0)
      expect(second.stdout).toContain('300 of 300 rows registered')

      const results = parse(await readFile(path.join(dir, 'users.results.csv'), 'utf8'), {
        columns: true,
      }) as {
        email: string
        state: string
        user_id: string
      }[]
      expect(results).toHaveLength(300)
      expect(results.every((result) => result.state === 'completed' && result.user_id !== '')).toBe(true)
      const perEmail = await rowsOf<{ registrations: number; identities: number }>(
        database,
        sql`SELECT (SELECT count(*)::int FROM registration r WHERE r.email_normalised = i.email_normalised) AS registrations,
                   count(*)::int AS identities
            FROM local_identity i WHERE i.email_normalised LIKE 'resume.%' GROUP BY i.email_normalised`,
      )
      expect(perEmail).toHaveLength(300)
      expect(perEmail.every((row) => row.registrations === 1 && row.identities === 1)).toBe(true)
    } finally {
      await rm(dir, { recursive: true, force: true })
      await database.close()
    }
  })

  const header = 'email,name,organisation,roles'
  const malformed: [string, string, string][] = [
    [
      'a wrong header',
      'mail,name,organisation,roles\nok@example.org,Ok,Org,Viewer\n',
      'row 0: the header must be',
    ],
    [
      'bad quoting',
      `${header}\nok@example.org,Ok,Org,Viewer\nx@example.org,"X"y,Org,Viewer\n`,
      'row 2: malformed CSV: ',
    ],
    [
      'an unknown role',
      `${header}\nok@example.org,Ok,Org,Viewer\nx@example.org,X,Org,Wizard\n`,
      'row 2: unknown role "Wizard"',
    ],
    [
      'an email twice',
      `${header}\nok@example.org,Ok,Org,Viewer\nOK@example.org,Again,Org,Viewer\n`,
      'row 2: duplicate email OK@example.org (also row 1)',
    ],
    ['an empty file', '', 'row 0: the file is empty'],
  ]

  describe('a malformed file', () => {
    // Nothing is written for any of them, so they can share one database.
    let database: Awaited<ReturnType<typeof openTestPostgres>>
    let dir = ''
    beforeAll(async () => {
      await ensureBuilt()
      database = await openTestPostgres()
      dir = await mkdtemp(path.join(os.tmpdir(), 'flip-users-import-'))
    })
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true })
      await database?.close()
    })

    it.each(malformed)(
      'with %s is refused, naming the row, and nothing is created',
      async (_, content, message) => {
        const file = path.join(dir, 'bad.csv')
        await writeFile(file, content)
        const result = await runCli(['users', 'import', file], {
          DATABASE_URL: database.url,
          FLIP_ADMIN_EMAIL: 'ops@example.org',
        })
        expect(result.code).toBe(65)
        expect(result.stderr).toContain(`${file}: ${message}`)
        expect(result.stderr).toContain(`${file}: nothing was imported.`)
        const [written] = await rowsOf<{ registrations: number; identities: number }>(
          database,
          sql`SELECT (SELECT count(*)::int FROM registration) AS registrations,
                   (SELECT count(*)::int FROM local_identity) AS identities`,
        )
        expect(written).toEqual({ registrations: 0, identities: 0 })
      },
    )
  })

  it('exits 1 when a row does not register, and says why in that row of the result file', async () => {
    await ensureBuilt()
    const database = await openTestPostgres()
    const dir = await mkdtemp(path.join(os.tmpdir(), 'flip-users-import-'))
    try {
      const env = { DATABASE_URL: database.url, FLIP_ADMIN_EMAIL: 'ops@example.org' }
      const taken = await runCli(
        [
          'users',
          'register',
          '--email',
          'taken@example.org',
          '--name',
          'T',
          '--organisation',
          'O',
          '--role',
          'Viewer',
        ],
        env,
      )
      expect(taken.code).toBe(0)
      const file = path.join(dir, 'users.csv')
      await writeFile(file, `${header}\nfresh@example.org,F,Org,Viewer\ntaken@example.org,T,Org,Viewer\n`)
      const result = await runCli(['users', 'import', file, '--out', path.join(dir, 'out.csv')], env)
      expect(result.code).toBe(1)
      expect(result.stdout).toContain('1 of 2 rows registered; 1 did not.')
      const rows = parse(await readFile(path.join(dir, 'out.csv'), 'utf8'), { columns: true })
      expect(rows).toEqual([
        {
          row: '1',
          email: 'fresh@example.org',
          registration_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          state: 'completed',
          user_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          error_detail: '',
        },
        {
          row: '2',
          email: 'taken@example.org',
          registration_id: expect.any(String),
          state: 'failed',
          user_id: '',
          error_detail: 'User with email taken@example.org already exists',
        },
      ])
    } finally {
      await rm(dir, { recursive: true, force: true })
      await database.close()
    }
  })
})
