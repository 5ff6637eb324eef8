import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { SEMI_SPACE_MB } from '../../src/cli/heap-policy.js'
import { openPglite, pgliteDirectoryOf } from '../../src/db/open-pglite.js'
import { cliPath } from '../support/built-cli.js'
import { openTestPostgres } from '../support/test-database.js'
import { ensureBuilt, printedAdminToken, type RunningServe, runCli, startServe } from './cli-process.js'

const getRoles = (url: string, token: string) =>
  fetch(`${url}/api/roles`, { headers: { authorization: `Bearer ${token}` } })

/** stdout is for machines: every line a JSON log record, none of the banner. */
const expectOnlyJsonOnStdout = (server: RunningServe) => {
  const lines = server.stdout().split('\n').filter(Boolean)
  expect(lines.length).toBeGreaterThan(0)
  for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow()
  expect(server.stderr()).toContain(`flip-users is listening on ${server.url}`)
}

const disabledTokenLine = (email: string) =>
  `flip-users token: the account ${email} is disabled — an administrator can enable it again (PUT /api/users/{id} with {"disabled": false})\n`

describe('flip-users serve, embedded (PGlite + local identity provider)', () => {
  let dataDir: string
  beforeAll(async () => {
    await ensureBuilt()
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'flip-users-e2e-'))
  })
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true })
  })

  it('starts on a fresh data directory, prints a working admin token on stderr, owns the directory, and stops cleanly', async () => {
    const env = { DATA_DIR: dataDir }
    const server = await startServe({ ...env, LOG_LEVEL: 'info' })
    try {
      const token = printedAdminToken(server.stderr())
      expect(server.stderr()).toContain(`curl -H "Authorization: Bearer ${token}" ${server.url}/api/roles`)
      const roles = await getRoles(server.url, token)
      expect(roles.status).toBe(200)
      expect(
        ((await roles.json()) as { roles: { rolename: string }[] }).roles.map(
          (role: { rolename: string }) => role.rolename,
        ),
      ).toEqual(['Admin', 'Researcher', 'Trust Admin', 'Viewer'])

      const second = await runCli(['serve'], { ...env, PORT: '0' })
      expectOnlyJsonOnStdout(server)
      expect(second.code).toBe(75)
      expect(second.stderr).toContain(`the data directory ${dataDir} is in use by another flip-users process`)

      const tokenWhileRunning = await runCli(['token', '--email', 'admin@flip.local'], env)
      expect(tokenWhileRunning.code).toBe(75)
      expect(tokenWhileRunning.stderr).toContain('use the admin token it printed at start')
    } finally {
      server.child.kill('SIGTERM')
    }
    expect(await server.exited).toBe(0)

    const minted = await runCli(['token', '--email', 'admin@flip.local', '--ttl', '10m'], env)
    expect(minted.code).toBe(0)
    const restarted = await startServe(env)
    try {
      expect(restarted.output()).not.toContain('Created the bootstrap admin')
      expect((await getRoles(restarted.url, minted.stdout.trim())).status).toBe(200)
    } finally {
      restarted.child.kill('SIGTERM')
    }
    expect(await restarted.exited).toBe(0)
    // Five processes, each opening PGlite (seconds apiece, more on a loaded CI core).
  }, 120_000)

  // A container's command is often `node dist/cli/main.js serve`, without the bin's first line:
  // the process gives itself the heap flag by restarting in place (process.execve keeps the pid;
  // Node ≥ 22.15 and 24), and where Node cannot, runs on without it.
  it('started as a bare node script, runs with the heap flag wherever Node can restart a process in place', async () => {
    const server = await startServe({ DATA_DIR: dataDir }, { bare: true })
    try {
      const commandLine = readFileSync(`/proc/${server.child.pid}/cmdline`, 'utf8')
        .split('\0')
        .filter(Boolean)
      const canRestartInPlace = typeof (process as { execve?: unknown }).execve === 'function'
      expect(commandLine.slice(1)).toEqual(
        canRestartInPlace ? [`--max-semi-space-size=${SEMI_SPACE_MB}`, cliPath, 'serve'] : [cliPath, 'serve'],
      )
      expect((await fetch(`${server.url}/api/health`)).status).toBe(200)
    } finally {
      server.child.kill('SIGTERM')
    }
    expect(await server.exited).toBe(0)
  }, 60_000)

  it('refuses a token for an address that has no identity', async () => {
    const result = await runCli(['token', '--email', 'nobody@example.org'], { DATA_DIR: dataDir })
    expect(result.code).toBe(66)
    expect(result.stderr).toBe(
      'flip-users token: no user with email nobody@example.org — check the address\n',
    )
  })

  it('refuses a token for a disabled identity in one line, exit 77', async () => {
    const database = await openPglite(pgliteDirectoryOf(dataDir))
    try {
      await database.db.execute(
        sql`UPDATE local_identity SET enabled = false WHERE email_normalised = 'admin@flip.local'`,
      )
    } finally {
      await database.close()
    }
    const result = await runCli(['token', '--email', 'admin@flip.local'], { DATA_DIR: dataDir })
    expect(result).toEqual({ code: 77, stdout: '', stderr: disabledTokenLine('admin@flip.local') })
  })
})

describe.skipIf(!inject('postgresUrl'))('flip-users serve on PostgreSQL', () => {
  it('says how to mint a token instead of printing one, mints it with the CLI while the server runs, and serves /api/roles with it', async () => {
    await ensureBuilt()
    const database = await openTestPostgres()
    try {
      const env = { DATABASE_URL: database.url, FLIP_ADMIN_EMAIL: 'ops@example.org' }
      const server = await startServe({ ...env, LOG_LEVEL: 'info' })
      try {
        expect(server.stderr()).toContain('npx flip-users token --email ops@example.org')
        expect(server.output()).not.toContain('Admin token for')
        const minted = await runCli(['token', '--email', 'ops@example.org'], env)
        expect(minted.code).toBe(0)
        expect((await getRoles(server.url, minted.stdout.trim())).status).toBe(200)
        expect((await getRoles(server.url, 'not-a-token')).status).toBe(401)
        expectOnlyJsonOnStdout(server)

        await database.db.execute(
          sql`UPDATE local_identity SET enabled = false WHERE email_normalised = 'ops@example.org'`,
        )
        const refused = await runCli(['token', '--email', 'ops@example.org'], env)
        expect(refused).toEqual({ code: 77, stdout: '', stderr: disabledTokenLine('ops@example.org') })
      } finally {
        server.child.kill('SIGTERM')
      }
      expect(await server.exited).toBe(0)
    } finally {
      await database.close()
    }
  })
})
