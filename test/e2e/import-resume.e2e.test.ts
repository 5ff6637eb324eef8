import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parse } from 'csv-parse/sync'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { Database } from '../../src/db/database.js'
import { openPglite, pgliteDirectoryOf } from '../../src/db/open-pglite.js'
import { rowsOf } from '../support/sql-rows.js'
import { openTestPostgres } from '../support/test-database.js'
import { cliPath, ensureBuilt, runCli } from './cli-process.js'

const postgresUrl = inject('postgresUrl')

interface Target {
  /** The environment that points the CLI at this database. */
  env: Record<string, string>
  /** Opens the database for the test's own queries (embedded: only while no CLI holds it). */
  open(): Promise<Database>
  dispose(): Promise<void>
}

const embedded = async (dir: string): Promise<Target> => {
  const dataDir = path.join(dir, 'data')
  return {
    env: { DATA_DIR: dataDir },
    open: () => openPglite(pgliteDirectoryOf(dataDir)),
    dispose: async () => {},
  }
}

const postgres = async (): Promise<Target> => {
  const database = await openTestPostgres()
  return {
    env: { DATABASE_URL: database.url },
    open: async () => ({ ...database, close: async () => {} }),
    dispose: () => database.close(),
  }
}

const targets: [string, (dir: string) => Promise<Target>][] = [
  ['embedded', embedded],
  ...(postgresUrl ? [['PostgreSQL', postgres] as [string, () => Promise<Target>]] : []),
]

/** Resolves once the import's progress lines report at least `rows` rows finished. */
const finishedAtLeast = (child: ChildProcess, rows: number): Promise<void> =>
  new Promise((resolve, reject) => {
    let output = ''
    child.stderr!.on('data', (chunk) => {
      output += chunk
      const counts = [...output.matchAll(/imported (\d+)\/\d+/g)].map((match) => Number(match[1]))
      if (counts.some((count) => count >= rows)) resolve()
    })
    child.on('close', (code) =>
      reject(new Error(`the import exited (${code}) before ${rows} rows:\n${output}`)),
    )
  })

/**
 * Runs the CLI until it gets the data directory: a killed process's lock goes stale after 10 s,
 * and until then the CLI refuses with 75, as an operator would see it.
 */
const runWhenUnlocked = async (args: string[], env: Record<string, string>) => {
  for (const deadline = Date.now() + 30_000; ; ) {
    const result = await runCli(args, env)
    if (result.code !== 75 || Date.now() > deadline) return result
    expect(result.stderr).toContain('is in use by another flip-users process')
    await sleep(1_000)
  }
}

describe.each(targets)('flip-users users import on %s', (_, targetIn) => {
  it('resumes an import killed part-way: every row ends in exactly one final state, no IdP user twice', async () => {
    await ensureBuilt()
    const dir = await mkdtemp(path.join(os.tmpdir(), 'flip-users-import-'))
    const target = await targetIn(dir)
    try {
      const env = { ...target.env, FLIP_ADMIN_EMAIL: 'ops@example.org', REGISTRATION_LEASE_SECONDS: '2' }
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
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      const exited = new Promise((resolve) => first.on('close', resolve))
      await finishedAtLeast(first, 60)
      first.kill('SIGKILL')
      await exited
      const countRegistrations = async () => {
        const database = await target.open()
        try {
          const [count] = await rowsOf<{ n: number }>(
            database,
            sql`SELECT count(*)::int AS n FROM registration`,
          )
          return count!.n
        } finally {
          await database.close()
        }
      }
      const partial = await countRegistrations()
      expect(partial).toBeGreaterThanOrEqual(60)
      expect(partial).toBeLessThan(300)

      const second = await runWhenUnlocked(['users', 'import', file], env)
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
      const database = await target.open()
      try {
        const perEmail = await rowsOf<{ registrations: number; identities: number }>(
          database,
          sql`SELECT (SELECT count(*)::int FROM registration r WHERE r.email_normalised = i.email_normalised) AS registrations,
                     count(*)::int AS identities
              FROM local_identity i WHERE i.email_normalised LIKE 'resume.%' GROUP BY i.email_normalised`,
        )
        expect(perEmail).toHaveLength(300)
        expect(perEmail.every((row) => row.registrations === 1 && row.identities === 1)).toBe(true)
      } finally {
        await database.close()
      }
    } finally {
      await target.dispose()
      await rm(dir, { recursive: true, force: true })
    }
  }, 120_000)
})

describe.skipIf(!postgresUrl)('flip-users users import', () => {
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
