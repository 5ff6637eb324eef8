import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { servingEndpointPath } from '../../src/cli/serving-endpoint.js'
import { RESEARCHER_ROLE_ID } from '../../src/domain/roles.js'
import { ensureBuilt, printedAdminToken, runCli, startServe } from './cli-process.js'

/**
 * `flip-users registrations …` while an embedded `serve` holds the data directory: the commands
 * find the server it published and work over its HTTP API instead of refusing with 75.
 */
describe('flip-users registrations beside a running embedded server', () => {
  let dataDir: string
  beforeAll(async () => {
    await ensureBuilt()
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'flip-users-e2e-serving-'))
  })
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true })
  })

  it('lists, shows and operates registrations through the server, with the usual exit codes', async () => {
    const env = { DATA_DIR: dataDir }
    const server = await startServe({ ...env, LOG_LEVEL: 'trace' })
    try {
      const token = printedAdminToken(server.stderr())
      // Only the owner may read what serve published: it holds an admin token.
      expect((await stat(servingEndpointPath(dataDir))).mode & 0o777).toBe(0o600)
      const published = JSON.parse(await readFile(servingEndpointPath(dataDir), 'utf8')) as { token: string }
      const created = await fetch(`${server.url}/api/step/users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          email: 'while-serving@example.org',
          name: 'Ada',
          organisation: 'Trust A',
          roles: [RESEARCHER_ROLE_ID],
        }),
      })
      expect(created.status).toBe(201)
      const registrationId = ((await created.json()) as { registration_id: string }).registration_id

      const listed = await runCli(['registrations', 'list', '--json'], env)
      expect(listed.stderr).toBe('')
      expect(listed.code).toBe(0)
      expect(JSON.parse(listed.stdout)).toEqual([
        expect.objectContaining({
          registration_id: registrationId,
          state: 'completed',
          email: 'while-serving@example.org',
        }),
      ])
      const table = await runCli(['registrations', 'list', '--state', 'completed'], env)
      expect(table.code).toBe(0)
      expect(table.stdout).toContain(registrationId)

      const shown = await runCli(['registrations', 'show', registrationId], env)
      expect(shown.code).toBe(0)
      expect(JSON.parse(shown.stdout)).toMatchObject({
        registration_id: registrationId,
        state: 'completed',
        events: expect.arrayContaining([expect.objectContaining({ to: 'completed' })]),
      })

      // A final registration cannot be operated: a usage error, as on the database.
      const retried = await runCli(['registrations', 'retry', registrationId], env)
      expect(retried.code).toBe(64)
      expect(retried.stderr).toContain(`is already completed`)
      const unknown = await runCli(['registrations', 'abandon', '6d1da2d7-e510-488c-9085-8608cd817256'], env)
      expect(unknown.code).toBe(66)
      expect(unknown.stderr).toContain('no registration 6d1da2d7-e510-488c-9085-8608cd817256')
      // The server did the work: its log has the requests, with their request ids.
      expect(server.stdout()).toContain('"url":"/api/step/users?pageSize=100&pageNumber=1"')
      // Neither token reached the server's log, at trace level.
      expect(server.stdout()).not.toContain(published.token)
      expect(server.stdout()).not.toContain(token)
    } finally {
      server.child.kill('SIGTERM')
    }
    expect(await server.exited).toBe(0)
    // A clean stop takes the published endpoint (and its token) away.
    await expect(stat(servingEndpointPath(dataDir))).rejects.toThrow()
  }, 120_000)
})
