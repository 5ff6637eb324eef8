import { type ChildProcess, spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parse } from 'csv-parse/sync'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { rowsOf } from '../support/sql-rows.js'
import { type CliDatabase, cliDatabases, withScratchCliDatabase } from './cli-databases.js'
import { cliPath, runCli } from './cli-process.js'

/**
 * Resolves once the import has registered at least `rows` rows, so a signal lands part-way.
 * PostgreSQL is read while the CLI runs. An embedded directory has one owner, so there the import's
 * own progress lines tell (one every 2 s; {@link ROWS} keeps a one-at-a-time import well past that).
 */
const registeredAtLeast = async (child: ChildProcess, database: CliDatabase, rows: number) => {
  let output = ''
  child.stderr!.on('data', (chunk) => (output += chunk))
  const exited = () => child.exitCode !== null || child.signalCode !== null
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`the import exited (${child.exitCode}) before ${rows} rows:\n${output}`)
    if (database.readableWhileRunning) {
      const opened = await database.open()
      const [count] = await rowsOf<{ n: number }>(opened, sql`SELECT count(*)::int AS n FROM registration`)
      await opened.close()
      if (count!.n >= rows) return
    } else if ([...output.matchAll(/imported (\d+)\/\d+/g)].some((match) => Number(match[1]) >= rows)) {
      return
    }
    await sleep(20)
  }
  throw new Error(`the import did not reach ${rows} rows within 60 s:\n${output}`)
}

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

// Enough rows that a one-at-a-time import is still running at its first progress line: an embedded
// registration takes a few milliseconds now, so a few hundred rows would be done before it.
const ROWS = 1500

describe.each(cliDatabases())('flip-users users import on %s', (_, targetIn) => {
  it('resumes an import killed part-way: every row ends in exactly one final state, no IdP user twice', async () => {
    await withScratchCliDatabase(targetIn, async (dir, target) => {
      const env = { ...target.env, FLIP_ADMIN_EMAIL: 'ops@example.org', REGISTRATION_LEASE_SECONDS: '2' }
      const file = path.join(dir, 'users.csv')
      const emails = Array.from({ length: ROWS }, (_, i) => `resume.${i}@example.org`)
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
      await registeredAtLeast(first, target, 60)
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
      expect(partial).toBeLessThan(ROWS)

      const second = await runWhenUnlocked(['users', 'import', file], env)
      expect(second.stderr).not.toMatch(/Error/)
      expect(second.code).toBe(0)
      expect(second.stdout).toContain(`${ROWS} of ${ROWS} rows registered`)

      const results = parse(await readFile(path.join(dir, 'users.results.csv'), 'utf8'), {
        columns: true,
      }) as {
        email: string
        state: string
        user_id: string
      }[]
      expect(results).toHaveLength(ROWS)
      expect(results.every((result) => result.state === 'completed' && result.user_id !== '')).toBe(true)
      const database = await target.open()
      try {
        const perEmail = await rowsOf<{ registrations: number; identities: number }>(
          database,
          sql`SELECT (SELECT count(*)::int FROM registration r WHERE r.email_normalised = i.email_normalised) AS registrations,
                     count(*)::int AS identities
              FROM local_identity i WHERE i.email_normalised LIKE 'resume.%' GROUP BY i.email_normalised`,
        )
        expect(perEmail).toHaveLength(ROWS)
        expect(perEmail.every((row) => row.registrations === 1 && row.identities === 1)).toBe(true)
      } finally {
        await database.close()
      }
    })
  }, 120_000)

  it('stops at a row boundary on Ctrl-C, lists the final rows by line in the result file, releases the database at once, and the same command finishes', async () => {
    await withScratchCliDatabase(targetIn, async (dir, target) => {
      const env = { ...target.env, FLIP_ADMIN_EMAIL: 'ops@example.org' }
      const file = path.join(dir, 'users.csv')
      const rows = Array.from({ length: ROWS }, (_, i) => `interrupt.${i}@example.org,User ${i},Org,Viewer`)
      await writeFile(file, ['email,name,organisation,roles', ...rows].join('\n'))

      const first = spawn(process.execPath, [cliPath, 'users', 'import', file, '--concurrency', '1'], {
        env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      let stderr = ''
      first.stderr!.on('data', (chunk) => (stderr += chunk))
      const exited = new Promise<number | null>((resolve) => first.on('close', resolve))
      await registeredAtLeast(first, target, 20)
      first.kill('SIGINT')
      expect({ code: await exited, stderr }).toMatchObject({ code: 130 })
      const interrupted = new RegExp(
        `Interrupted: (\\d+) of ${ROWS} rows final .*Run the same command again`,
      ).exec(stderr)
      expect(interrupted, stderr).not.toBeNull()
      expect(stderr).not.toMatch(/Error/)
      // The rows that are final are in the result file, each named by its line (header = line 1).
      const partial = parse(await readFile(path.join(dir, 'users.results.csv'), 'utf8'), {
        columns: true,
      }) as { line: string; email: string; state: string }[]
      expect(partial).toHaveLength(Number(interrupted![1]))
      expect(partial.length).toBeGreaterThan(0)
      for (const result of partial) {
        expect(result.email).toBe(`interrupt.${Number(result.line) - 2}@example.org`)
        expect(result.state).toBe('completed')
      }

      // No stale lock to wait out: the first run closed its database before exiting.
      const second = await runCli(['users', 'import', file], env)
      expect(second.code).toBe(0)
      expect(second.stdout).toContain(`${ROWS} of ${ROWS} rows registered`)
      const database = await target.open()
      try {
        const [counts] = await rowsOf<{ registrations: number; identities: number }>(
          database,
          sql`SELECT (SELECT count(*)::int FROM registration WHERE email_normalised LIKE 'interrupt.%') AS registrations,
                     (SELECT count(*)::int FROM local_identity WHERE email_normalised LIKE 'interrupt.%') AS identities`,
        )
        expect(counts).toEqual({ registrations: ROWS, identities: ROWS })
      } finally {
        await database.close()
      }
    })
  }, 120_000)
})
