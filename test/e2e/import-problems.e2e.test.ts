import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rowsOf } from '../support/sql-rows.js'
import { type CliDatabase, quickestCliDatabase, withScratchCliDatabase } from './cli-databases.js'
import { ensureBuilt, runCli } from './cli-process.js'

const [databaseKind, databaseIn] = quickestCliDatabase()

// A file's problems are reported before anything is registered; a row that fails is reported in
// its own row of the result file and in the exit code.
describe(`flip-users users import, file and row problems (${databaseKind})`, () => {
  const header = 'email,name,organisation,roles'
  const malformed: [string, string, string][] = [
    [
      'a wrong header',
      'mail,name,organisation,roles\nok@example.org,Ok,Org,Viewer\n',
      'line 1: the header must be',
    ],
    [
      'bad quoting',
      `${header}\nok@example.org,Ok,Org,Viewer\nx@example.org,"X"y,Org,Viewer\n`,
      'line 3: malformed CSV: ',
    ],
    [
      'an unknown role',
      `${header}\nok@example.org,Ok,Org,Viewer\nx@example.org,X,Org,Wizard\n`,
      'line 3: unknown role "Wizard"',
    ],
    [
      'an email twice',
      `${header}\nok@example.org,Ok,Org,Viewer\nOK@example.org,Again,Org,Viewer\n`,
      'line 3: duplicate email OK@example.org (also line 2)',
    ],
    ['an empty file', '', 'line 1: the file is empty'],
    [
      'a single row of the wrong width',
      `${header}\nx@example.org,X,Org\n`,
      'line 2: 3 fields where the header has 4',
    ],
  ]

  describe('a malformed file', () => {
    // Nothing is written for any of them, so they can share one database.
    let database: CliDatabase | undefined
    let dir = ''
    beforeAll(async () => {
      await ensureBuilt()
      dir = await mkdtemp(path.join(os.tmpdir(), 'flip-users-import-'))
      database = await databaseIn(dir)
    })
    afterAll(async () => {
      await database?.dispose()
      await rm(dir, { recursive: true, force: true })
    })

    it.each(malformed)(
      'with %s is refused, naming the row, and nothing is created',
      async (_, content, message) => {
        const file = path.join(dir, 'bad.csv')
        await writeFile(file, content)
        const result = await runCli(['users', 'import', file], {
          ...database!.env,
          FLIP_ADMIN_EMAIL: 'ops@example.org',
        })
        expect(result.code).toBe(65)
        expect(result.stderr).toContain(`${file}: ${message}`)
        expect(result.stderr).toContain(`${file}: nothing was imported.`)
        const opened = await database!.open()
        try {
          const [written] = await rowsOf<{ registrations: number; identities: number }>(
            opened,
            sql`SELECT (SELECT count(*)::int FROM registration) AS registrations,
                     (SELECT count(*)::int FROM local_identity) AS identities`,
          )
          expect(written).toEqual({ registrations: 0, identities: 0 })
        } finally {
          await opened.close()
        }
      },
    )

    it('says in one line that an input file that does not exist cannot be read, exit 66', async () => {
      const missing = path.join(os.tmpdir(), 'flip-users-no-such-file.csv')
      const result = await runCli(['users', 'import', missing], {
        ...database!.env,
        FLIP_ADMIN_EMAIL: 'ops@example.org',
      })
      expect(result).toEqual({
        code: 66,
        stdout: '',
        stderr: `flip-users users import: cannot read ${missing}: no such file — check the path and run again\n`,
      })
    })
  })

  it('exits 1 when a row does not register, and says why in that row of the result file', async () => {
    await withScratchCliDatabase(databaseIn, async (dir, database) => {
      const env = { ...database.env, FLIP_ADMIN_EMAIL: 'ops@example.org' }
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
      // The same registration again is refused by its error's kind (Conflict: 65), in one line.
      const again = await runCli(
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
      expect(again).toMatchObject({
        code: 65,
        stderr: 'flip-users users register: User with email taken@example.org already exists\n',
      })
      const file = path.join(dir, 'users.csv')
      await writeFile(file, `${header}\nfresh@example.org,F,Org,Viewer\ntaken@example.org,T,Org,Viewer\n`)
      const result = await runCli(['users', 'import', file, '--out', path.join(dir, 'out.csv')], env)
      expect(result.code).toBe(1)
      expect(result.stdout).toContain('1 of 2 rows registered; 1 did not.')
      const rows = parse(await readFile(path.join(dir, 'out.csv'), 'utf8'), { columns: true })
      expect(rows).toEqual([
        {
          line: '2',
          email: 'fresh@example.org',
          registration_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          state: 'completed',
          user_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          error_detail: '',
        },
        {
          line: '3',
          email: 'taken@example.org',
          registration_id: expect.any(String),
          state: 'failed',
          user_id: '',
          error_detail: 'User with email taken@example.org already exists',
        },
      ])
    })
  }, 60_000)
})
