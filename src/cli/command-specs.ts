import {
  registrationsListOptions,
  tokenOptions,
  usersImportOptions,
  usersRegisterOptions,
} from './command-options.js'
import { type CommandGroup, defineCommand } from './command-table.js'

/**
 * THE table of flip-users commands: the parser reads their options from it, `--help` prints it,
 * and each command's code is loaded from `commands/` only when it runs.
 */

export const serveCommand = defineCommand({
  name: 'serve',
  summary:
    'Migrate, seed and bootstrap the admin, then serve HTTP and run background work until SIGINT or SIGTERM.',
  options: {},
  details: [
    'Configured by the environment (PORT, HOST, DATABASE_URL, DATA_DIR, AUTH_BACKEND, FLIP_ADMIN_EMAIL, …;',
    'see the README). stdout carries JSON log lines only; the banner and hints go to stderr.',
    'Exit codes: 69 the port is in use or the database cannot be reached, 77 the database refused',
    'our credentials, 75 an embedded data directory is in use, 78 a bad setting.',
  ].join('\n'),
  load: async () => (await import('./commands/serve.js')).runServe,
})

export const migrateCommand = defineCommand({
  name: 'migrate',
  summary:
    'Apply migrations and seeds to the configured database (DATABASE_URL, or the embedded DATA_DIR), then exit.',
  options: {},
  load: async () => (await import('./commands/migrate.js')).runMigrate,
})

export const tokenCommand = defineCommand({
  name: 'token',
  summary: 'Print an access token for an existing, enabled local identity (AUTH_BACKEND=local only).',
  options: tokenOptions,
  details:
    'Exit codes: 66 no such identity, 77 the account is disabled, 75 an embedded data directory is in use.',
  load: async () => (await import('./commands/token.js')).runToken,
})

export const registrationsGroup: CommandGroup = {
  name: 'registrations',
  summary: 'Operate the registration saga.',
  commands: [
    defineCommand({
      name: 'registrations list',
      summary: 'List registrations, newest first.',
      options: registrationsListOptions,
      load: async () => (await import('./commands/registrations.js')).runList,
    }),
    defineCommand({
      name: 'registrations show',
      summary: 'Print one registration with its history, as JSON.',
      args: ['ID'],
      options: {},
      load: async () => (await import('./commands/registrations.js')).runShow,
    }),
    defineCommand({
      name: 'registrations retry',
      summary: 'Work it now; a needs_attention registration is compensated again with a fresh budget.',
      args: ['ID'],
      options: {},
      load: async () => (await import('./commands/registrations.js')).runRetry,
    }),
    defineCommand({
      name: 'registrations abandon',
      summary: 'Give up on it and undo what it created (compensate now).',
      args: ['ID'],
      options: {},
      load: async () => (await import('./commands/registrations.js')).runAbandon,
    }),
  ],
}

export const usersGroup: CommandGroup = {
  name: 'users',
  summary: 'Register users from the command line, one or a file at a time.',
  commands: [
    defineCommand({
      name: 'users import',
      summary:
        "Register every row of FILE.csv at the identity provider's pace; re-running the same file resumes it.",
      args: ['FILE.csv'],
      options: usersImportOptions,
      details: [
        'FILE.csv: a header email,name,organisation,roles[,trustId], then one user per line; roles by name or',
        'id, separated by ";". The whole file is checked first: a file with any problem creates nothing.',
        'Messages name rows by their line in the file (the header is line 1).',
        'Exit codes: 0 all registered, 1 some did not, 65 the file has problems, 66 it cannot be read,',
        '130/143 interrupted (the result file then lists the rows that are final; run again to finish).',
      ].join('\n'),
      load: async () => (await import('./commands/users.js')).runImport,
    }),
    defineCommand({
      name: 'users register',
      summary:
        'Register one user, as POST /api/step/users does, as the bootstrap admin; prints the response body.',
      options: usersRegisterOptions,
      details: [
        'Exit codes: 0 registered (or being finished in the background), 65 refused (bad input, an email',
        'already registered), 66 no such trust, 69 a service is unavailable (try again), 70 failed.',
      ].join('\n'),
      load: async () => (await import('./commands/users.js')).runRegister,
    }),
  ],
}

/** Every command, in the order the usage text lists them. */
export const commandTable = [serveCommand, migrateCommand, tokenCommand, registrationsGroup, usersGroup]
