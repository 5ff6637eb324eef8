#!/usr/bin/env -S node --max-semi-space-size=4
// The flag: cli/heap-policy.ts says why (test/guards/node-flags.test.ts keeps it, `npm start`
// and that file in step; a bare `node dist/cli/main.js` gets it from apply-heap-policy.ts).
// First the process's heap policy: it may restart the process with a node flag, before anything
// has run. Then, on an unsupported Node.js, one line on stderr before anything else loads.
import './apply-heap-policy.js'
import './warn-on-unsupported-node.js'
import { readFileSync } from 'node:fs'
import { commandTable } from './command-specs.js'
import {
  asksForHelp,
  type CommandGroup,
  type CommandSpec,
  commandHelp,
  groupHelp,
  parseCommandArgs,
  UsageError,
  usageLine,
} from './command-table.js'
import { exitCodeOf, exitCodes } from './exit-codes.js'

const table: readonly (CommandSpec | CommandGroup)[] = commandTable

const isGroup = (entry: CommandSpec | CommandGroup): entry is CommandGroup => 'commands' in entry

// The same relative path from src/cli/ and dist/cli/.
const version = (): string =>
  (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version

const topHelp = (): string =>
  [
    'usage: flip-users <command> [options]',
    '       flip-users --help | --version',
    '',
    "FLIP's user-registration service: serve its API, or operate it from here.",
    '',
    ...table.flatMap((entry) =>
      (isGroup(entry) ? entry.commands : [entry]).flatMap((command) => [
        `  ${usageLine(command)}`,
        `      ${command.summary}`,
      ]),
    ),
    '',
    'Run "flip-users <command> --help" for a command\'s options. Settings come from the environment',
    '(see the README). Exit codes follow sysexits: 64 usage, 65 bad data, 66 missing input, 69 a',
    'service is unavailable, 75 busy, 77 not permitted, 78 bad configuration, 130/143 interrupted.',
    '',
  ].join('\n')

type Resolved =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'run'; command: CommandSpec; args: string[] }

/** Finds the command the words name; a word that names nothing is a UsageError (exit 64). */
const resolve = (argv: string[]): Resolved => {
  const [first, ...rest] = argv
  if (first === undefined) throw new UsageError('no command given', '')
  if (first === '--help' || first === '-h') return { kind: 'help', text: topHelp() }
  if (first === 'help')
    return rest.length === 0 ? { kind: 'help', text: topHelp() } : resolve([...rest, '--help'])
  if (first === '--version' || first === '-V') return { kind: 'version' }
  if (first.startsWith('-')) throw new UsageError(`unknown option "${first}"`, '')
  const entry = table.find((candidate) => candidate.name === first)
  if (!entry) throw new UsageError(`unknown command "${first}"`, '')
  if (!isGroup(entry)) return { kind: 'run', command: entry, args: rest }
  const [sub, ...args] = rest
  if (sub === '--help' || sub === '-h' || sub === 'help') return { kind: 'help', text: groupHelp(entry) }
  if (sub === undefined) throw new UsageError(`which ${entry.name} command?`, entry.name)
  if (sub.startsWith('-')) throw new UsageError(`unknown option "${sub}"`, entry.name)
  const command = entry.commands.find((candidate) => candidate.name === `${entry.name} ${sub}`)
  if (!command) throw new UsageError(`unknown command "${entry.name} ${sub}"`, entry.name)
  return { kind: 'run', command, args }
}

/** The words naming the command for its messages (`users import`), as far as they were resolved. */
const commandWords = (argv: string[]): string => {
  const entry = table.find((candidate) => candidate.name === argv[0])
  if (!entry) return ''
  if (!isGroup(entry)) return entry.name
  const command = entry.commands.find((candidate) => candidate.name === `${entry.name} ${argv[1]}`)
  return command?.name ?? entry.name
}

const run = async (argv: string[]): Promise<number> => {
  const words = commandWords(argv)
  try {
    const resolved = resolve(argv)
    if (resolved.kind === 'version') {
      process.stdout.write(`${version()}\n`)
      return exitCodes.ok
    }
    if (resolved.kind === 'help') {
      process.stdout.write(resolved.text)
      return exitCodes.ok
    }
    const { command, args } = resolved
    if (asksForHelp(args)) {
      process.stdout.write(commandHelp(command))
      return exitCodes.ok
    }
    const { values, positionals } = parseCommandArgs(command, args)
    const run = await command.load()
    return await run(values, positionals)
  } catch (error) {
    // Loaded only on a failure: it knows the database and identity-provider errors.
    const { describeFailure, failureLine } = await import('./failures.js')
    const failure = describeFailure(error, {
      command: (error instanceof UsageError ? error.command : undefined) ?? words,
      databaseUrl: process.env.DATABASE_URL,
    })
    process.stderr.write(`${failureLine(words, failure)}\n`)
    // An unexpected error is a bug: its stack helps the report, when asked for.
    if (failure.kind === 'Internal' && /^(debug|trace)$/.test(process.env.LOG_LEVEL ?? ''))
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`)
    return exitCodeOf[failure.kind]
  }
}

process.exitCode = await run(process.argv.slice(2))
