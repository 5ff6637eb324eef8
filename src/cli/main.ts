#!/usr/bin/env node
// First: on an unsupported Node.js, one line on stderr before anything else loads.
import './warn-on-unsupported-node.js'
import { ConfigError } from '../config.js'
import { DataDirLockedError } from '../db/data-dir-lock.js'
import { migrateCommand } from './commands/migrate.js'
import { registrationsCommand } from './commands/registrations.js'
import { serveCommand } from './commands/serve.js'
import { tokenCommand } from './commands/token.js'
import { usersCommand } from './commands/users.js'
import { exitCodeOf, exitCodes } from './exit-codes.js'

const usage = `usage: flip-users <command>

  serve                          migrate, seed, bootstrap the admin, then serve HTTP
  migrate                        apply migrations and seeds, then exit
  token --email E [--ttl 1h]     print an access token (AUTH_BACKEND=local only)
  registrations list [--state S] [--limit N] [--json]
  registrations show|retry|abandon ID
                                 operate the registration saga (flip-users registrations help)
  users import FILE.csv [--out RESULTS.csv]
                                 bulk registration at the IdP's pace, resumable, a result per row
  users register --email E --name N --organisation O --role R
                                 one registration, as POST /api/step/users
`

const commands: Record<string, (args: string[]) => Promise<number>> = {
  serve: () => serveCommand(),
  migrate: () => migrateCommand(),
  token: (args) => tokenCommand(args),
  registrations: (args) => registrationsCommand(args),
  users: (args) => usersCommand(args),
}

const run = async (argv: string[]): Promise<number> => {
  const [name, ...args] = argv
  const command = name === undefined ? undefined : commands[name]
  if (!command) {
    process.stderr.write(usage)
    return name === undefined || name === 'help' || name === '--help' ? exitCodes.ok : exitCodes.usage
  }
  try {
    return await command(args)
  } catch (error) {
    // Known operator errors are one clear line; anything else gets its stack for a bug report.
    const known = error instanceof ConfigError || error instanceof DataDirLockedError
    process.stderr.write(
      `flip-users ${name}: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`,
    )
    return exitCodeOf(error)
  }
}

process.exitCode = await run(process.argv.slice(2))
