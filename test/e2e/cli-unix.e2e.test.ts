import { readFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { commandTable } from '../../src/cli/command-specs.js'
import type { CommandSpec } from '../../src/cli/command-table.js'
import { quickestCliDatabase, withScratchCliDatabase } from './cli-databases.js'
import { ensureBuilt, repoRoot, runCli } from './cli-process.js'

// Every command and subcommand, straight from the table the parser uses.
const commands: CommandSpec[] = commandTable.flatMap((entry) =>
  'commands' in entry ? entry.commands : [entry],
)
const groups = commandTable.filter((entry) => 'commands' in entry).map((entry) => entry.name)
const words = (name: string) => name.split(' ')

// No setting points anywhere real: a command that got as far as the database would fail loudly.
const nowhere = { DATA_DIR: path.join(os.tmpdir(), 'flip-users-cli-unix-no-such-dir') }

/** A loopback port nothing listens on (bound, then released). */
const closedPort = async (): Promise<number> => {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** One line on stderr, naming the command, saying what happened and what to do. */
const oneLine = (command: string) => new RegExp(`^flip-users ${command}: [^\\n]+ — [^\\n]+\\n$`)

describe('flip-users as a Unix tool: help, version and usage errors', () => {
  beforeAll(ensureBuilt)

  it('prints every command’s and subcommand’s usage, listing its options, on stdout with exit 0', async () => {
    const results = await Promise.all(
      commands.map(async (command) => ({
        command,
        long: await runCli([...words(command.name), '--help'], nowhere),
        short: await runCli([...words(command.name), '-h'], nowhere),
      })),
    )
    for (const { command, long, short } of results) {
      expect(long, command.name).toMatchObject({ code: 0, stderr: '' })
      expect(long.stdout.split('\n')[0]).toMatch(new RegExp(`^usage: flip-users ${command.name}\\b`))
      for (const option of Object.keys(command.options)) expect(long.stdout).toContain(`--${option}`)
      expect(long.stdout).toContain('--help')
      expect(short).toEqual(long)
    }
  })

  it('prints the overview and each group’s commands on --help, and the package version on --version', async () => {
    const version = (
      JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }
    ).version
    const [top, short, help, versionOut, ...groupHelps] = await Promise.all([
      runCli(['--help'], nowhere),
      runCli(['-h'], nowhere),
      runCli(['help'], nowhere),
      runCli(['--version'], nowhere),
      ...groups.map((group) => runCli([group, '--help'], nowhere)),
    ])
    expect(top).toMatchObject({ code: 0, stderr: '' })
    for (const command of commands) expect(top!.stdout).toContain(`flip-users ${command.name}`)
    expect(short).toEqual(top)
    expect(help).toEqual(top)
    expect(versionOut).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' })
    groups.forEach((group, index) => {
      expect(groupHelps[index]).toMatchObject({ code: 0, stderr: '' })
      for (const command of commands.filter((c) => c.name.startsWith(`${group} `)))
        expect(groupHelps[index]!.stdout).toContain(`flip-users ${command.name}`)
    })
  })

  it('names an unknown option of any command on stderr in one line and exits 64', async () => {
    const results = await Promise.all(
      commands.map((command) => runCli([...words(command.name), '--frobnicate'], nowhere)),
    )
    results.forEach((result, index) => {
      const name = commands[index]!.name
      expect(result).toEqual({
        code: 64,
        stdout: '',
        stderr: `flip-users ${name}: unknown option "--frobnicate" — run "flip-users ${name} --help" for usage\n`,
      })
    })
  })

  it('names an unknown command or subcommand, a missing argument and a missing required option, exit 64', async () => {
    const [unknown, unknownSub, unknownTopOption, none, missingId, missingEmail] = await Promise.all([
      runCli(['frobnicate'], nowhere),
      runCli(['users', 'frobnicate'], nowhere),
      runCli(['--frobnicate'], nowhere),
      runCli([], nowhere),
      runCli(['registrations', 'retry'], nowhere),
      runCli(['token'], nowhere),
    ])
    expect(unknown).toEqual({
      code: 64,
      stdout: '',
      stderr: 'flip-users: unknown command "frobnicate" — run "flip-users --help" for usage\n',
    })
    expect(unknownSub).toEqual({
      code: 64,
      stdout: '',
      stderr:
        'flip-users users: unknown command "users frobnicate" — run "flip-users users --help" for usage\n',
    })
    expect(unknownTopOption.stderr).toBe(
      'flip-users: unknown option "--frobnicate" — run "flip-users --help" for usage\n',
    )
    for (const result of [unknownTopOption, none, missingId, missingEmail]) expect(result.code).toBe(64)
    expect(none.stderr).toBe('flip-users: no command given — run "flip-users --help" for usage\n')
    expect(missingId.stderr).toBe(
      'flip-users registrations retry: ID is missing — run "flip-users registrations retry --help" for usage\n',
    )
    expect(missingEmail.stderr).toBe(
      'flip-users token: --email is required — run "flip-users token --help" for usage\n',
    )
  })
})

describe('flip-users runtime failures: one line on stderr, a sysexits code', () => {
  let unreachable = ''
  beforeAll(async () => {
    await ensureBuilt()
    unreachable = `postgres://flip:secret@127.0.0.1:${await closedPort()}/flip`
  })

  it('says the database cannot be reached (69) for serve, migrate, token and the operator commands', async () => {
    const env = { DATABASE_URL: unreachable, FLIP_ADMIN_EMAIL: 'ops@example.org' }
    const runs: string[][] = [
      ['serve'],
      ['migrate'],
      ['token', '--email', 'ops@example.org'],
      ['registrations', 'list'],
    ]
    const results = await Promise.all(runs.map((args) => runCli(args, { ...env, PORT: '0' })))
    results.forEach((result, index) => {
      const command = runs[index]![0] === 'registrations' ? 'registrations list' : runs[index]![0]!
      expect(result.code, command).toBe(69)
      expect(result.stderr).toMatch(oneLine(command))
      expect(result.stderr).toContain(`cannot reach the database at ${new URL(unreachable).host}/flip`)
      expect(result.stderr).not.toContain('secret')
      expect(result.stdout).toBe('')
    })
  })

  it('says a setting is bad (78) in one line', async () => {
    const result = await runCli(['migrate'], { ...nowhere, AUTH_BACKEND: 'frobnicate' })
    expect(result.code).toBe(78)
    expect(result.stderr).toMatch(oneLine('migrate'))
    expect(result.stderr).toContain('AUTH_BACKEND')
  })

  describe.skipIf(!inject('postgresUrl'))('on a PostgreSQL server that answers', () => {
    const server = () => new URL(inject('postgresUrl')!)

    it('says the server refused our credentials (77) without printing the password', async () => {
      const url = server()
      url.password = 'not-the-password'
      const result = await runCli(['migrate'], { DATABASE_URL: url.href })
      expect(result.code).toBe(77)
      expect(result.stderr).toMatch(oneLine('migrate'))
      expect(result.stderr).toContain('refused our credentials')
      expect(result.stderr).not.toContain('not-the-password')
    })

    it('says the database does not exist (69) and how to create it', async () => {
      const url = server()
      url.pathname = '/flip_users_no_such_database'
      const result = await runCli(['token', '--email', 'ops@example.org'], { DATABASE_URL: url.href })
      expect(result.code).toBe(69)
      expect(result.stderr).toMatch(oneLine('token'))
      expect(result.stderr).toContain(
        'there is no database "flip_users_no_such_database" on ' +
          `${url.hostname}:${url.port || '5432'} — create it (createdb flip_users_no_such_database)`,
      )
    })
  })

  describe('serve on a port that is taken', () => {
    const [databaseKind, databaseIn] = quickestCliDatabase()
    let holder: net.Server
    let port = 0
    beforeAll(async () => {
      holder = net.createServer()
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
      port = (holder.address() as net.AddressInfo).port
    })
    afterAll(() => new Promise((resolve) => holder.close(resolve)))

    it(`says the port is in use (69) and stops, on ${databaseKind}`, async () => {
      await withScratchCliDatabase(databaseIn, async (_dir, database) => {
        const result = await runCli(['serve'], { ...database.env, PORT: String(port), HOST: '127.0.0.1' })
        expect(result.code).toBe(69)
        expect(result.stderr).toBe(
          `flip-users serve: port ${port} on 127.0.0.1 is already in use — stop the process that holds it, or set PORT to a free port (PORT=0 picks one)\n`,
        )
        // Nothing for a human on stdout: at most JSON log lines.
        for (const line of result.stdout.split('\n').filter(Boolean))
          expect(() => JSON.parse(line)).not.toThrow()
      })
    }, 60_000)
  })
})
