import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import { sql } from 'drizzle-orm'
import { describe, expect, inject, it, vi } from 'vitest'
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

  it('rejects a malformed file row by row and creates nothing', async () => {
    await ensureBuilt()
    const database = await openTestPostgres()
    const dir = await mkdtemp(path.join(os.tmpdir(), 'flip-users-import-'))
    try {
      const file = path.join(dir, 'bad.csv')
      await writeFile(
        file,
        'email,name,organisation,roles\nok@example.org,Ok,Org,Viewer\nx@example.org,X,Org,Wizard\n',
      )
      const result = await runCli(['users', 'import', file], {
        DATABASE_URL: database.url,
        FLIP_ADMIN_EMAIL: 'ops@example.org',
      })
      expect(result.code).toBe(65)
      expect(result.stderr).toContain(`${file}: row 2: unknown role "Wizard"`)
      const [count] = await rowsOf<{ n: number }>(database, sql`SELECT count(*)::int AS n FROM registration`)
      expect(count!.n).toBe(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
      await database.close()
    }
  })
})
