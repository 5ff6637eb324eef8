import { parseArgs } from 'node:util'
import type { Deps } from '../../container.js'
import { isUuid } from '../../domain/ids.js'
import { isWorkable, type RegistrationState, registrationStates } from '../../domain/registration-state.js'
import { isAppError } from '../../errors/app-error.js'
import { appError } from '../../errors/error-catalogue.js'
import {
  abandonRegistration,
  listRegistrations,
  type OperatorOutcome,
  retryRegistration,
} from '../../features/operate-registrations/operate-registrations.js'
import { getRegistration } from '../../features/register-user/get-registration.js'
import { withCliContainer } from '../cli-container.js'
import { exitCodes } from '../exit-codes.js'

const registrationsUsage = `usage: flip-users registrations list [--state STATE] [--limit N] [--json]
       flip-users registrations show ID
       flip-users registrations retry ID
       flip-users registrations abandon ID

  list      registrations, newest first (default limit 100); STATE is one of
            ${registrationStates.join(', ')}
  show      one registration with its history, as JSON
  retry     work it now; a needs_attention registration is compensated again with a fresh budget
  abandon   give up on it and undo what it created (compensate now)
`

const usageError = (message: string): number => {
  process.stderr.write(`${message}\nRun "flip-users registrations help" for usage.\n`)
  return exitCodes.usage
}

/**
 * Opens the container, runs `work`, closes it. The job queue is started only for commands that
 * change registrations: what they leave workable is queued at once for the server's workers
 * (which pick it up immediately on PostgreSQL, or when `serve` next starts in embedded mode)
 * instead of waiting for the minute sweep. Read-only commands do not start it.
 */
const withDeps = (jobs: boolean, work: (deps: Deps) => Promise<number>): Promise<number> =>
  withCliContainer(
    {
      jobs,
      whileServing:
        'While the server runs, GET /api/step/users/ID shows a registration; stop it to operate registrations from here.',
    },
    work,
  )

// Exit codes for the operator's errors; a final registration cannot be operated, so asking is a
// usage error. Anything not listed (and not retryable) is left to main.
const exitCodeByErrorCode: Partial<Record<string, number>> = {
  'registration.not_found': exitCodes.notFound,
  'registration.not_workable': exitCodes.usage,
  'registration.in_flight': exitCodes.busy,
  'registration.settling': exitCodes.busy,
}

/** The operator's errors as one line and an exit code; anything else is rethrown to main. */
const reportKnown = (error: unknown, registrationId: string): number => {
  if (!isAppError(error)) throw error
  const exitCode = exitCodeByErrorCode[error.code] ?? (error.retryable ? exitCodes.unavailable : undefined)
  if (exitCode === undefined) throw error
  const message =
    error.code === 'registration.not_found' ? `No registration ${registrationId}.` : error.detail
  process.stderr.write(`${message}\n`)
  return exitCode
}

const pad = (rows: string[][]): string[] => {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  return rows.map((row) =>
    row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  '),
  )
}

const listCommand = async (args: string[]): Promise<number> => {
  const { values } = parseArgs({
    args,
    options: { state: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
  })
  const state = values.state as RegistrationState | undefined
  if (state !== undefined && !registrationStates.includes(state))
    return usageError(`Unknown state "${state}"; expected one of ${registrationStates.join(', ')}.`)
  const limit = values.limit === undefined ? undefined : Number(values.limit)
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0))
    return usageError(`--limit must be a whole number above 0, not "${values.limit}".`)
  return withDeps(false, async (deps) => {
    const rows = await listRegistrations(deps, {
      ...(state ? { state } : {}),
      ...(limit ? { limit } : {}),
    })
    if (values.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`)
    } else if (rows.length === 0) {
      process.stdout.write(state ? `No registrations in state ${state}.\n` : 'No registrations.\n')
    } else {
      const lines = pad([
        ['ID', 'STATE', 'EMAIL', 'USER ID', 'ATTEMPTS', 'UPDATED'],
        ...rows.map((row) => [
          row.registration_id,
          row.state,
          row.email,
          row.user_id ?? '-',
          String(row.attempts),
          row.updated_at,
        ]),
      ])
      process.stdout.write(`${lines.join('\n')}\n`)
    }
    return exitCodes.ok
  })
}

const oneId = (args: string[]): string | undefined => {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true })
  return positionals.length === 1 ? positionals[0] : undefined
}

const showCommand = async (id: string): Promise<number> =>
  withDeps(false, async (deps) => {
    try {
      // A malformed id names no registration; the database would only reject its syntax.
      if (!isUuid(id)) throw appError('registration.not_found', `No registration ${id}`)
      process.stdout.write(`${JSON.stringify(await getRegistration(deps, id), null, 2)}\n`)
      return exitCodes.ok
    } catch (error) {
      return reportKnown(error, id)
    }
  })

const describeOutcome = ({ registration, advanced, queued }: OperatorOutcome): string[] => {
  const lines = [`Registration ${registration.id} is now ${registration.state}.`]
  if (!advanced && isWorkable(registration.state))
    lines.push('Another process is working on it right now; it will carry on from there.')
  const unfinished = isWorkable(registration.state) || registration.state === 'needs_attention'
  if (registration.errorDetail && unfinished) lines.push(`Last error: ${registration.errorDetail}`)
  if (isWorkable(registration.state)) {
    lines.push(
      queued
        ? 'It will be finished in the background (queued now).'
        : 'It will be finished in the background (the next sweep picks it up within a minute).',
    )
  }
  if (registration.state === 'needs_attention')
    lines.push('It still needs attention: fix the cause above, then retry or abandon it again.')
  return lines
}

const operateCommand = async (
  id: string,
  operate: typeof retryRegistration | typeof abandonRegistration,
): Promise<number> =>
  withDeps(true, async (deps) => {
    try {
      const outcome = await operate(deps, id)
      process.stdout.write(`${describeOutcome(outcome).join('\n')}\n`)
      return outcome.registration.state === 'needs_attention' ? exitCodes.failure : exitCodes.ok
    } catch (error) {
      return reportKnown(error, id)
    }
  })

/**
 * `flip-users registrations list|show|retry|abandon`: operate the register-user saga. Retry and
 * abandon advance the registration inline as `operator` (leases keep this safe beside a running
 * server on PostgreSQL) and print the resulting state.
 */
export const registrationsCommand = async (args: string[]): Promise<number> => {
  const [subcommand, ...rest] = args
  if (subcommand === undefined || subcommand === 'help' || subcommand === '--help') {
    process.stderr.write(registrationsUsage)
    return subcommand === undefined ? exitCodes.usage : exitCodes.ok
  }
  try {
    if (subcommand === 'list') return await listCommand(rest)
    if (!['show', 'retry', 'abandon'].includes(subcommand))
      return usageError(`Unknown subcommand "${subcommand}".`)
    const id = oneId(rest)
    if (id === undefined) return usageError(`flip-users registrations ${subcommand} takes exactly one ID.`)
    if (subcommand === 'show') return await showCommand(id)
    return await operateCommand(id, subcommand === 'retry' ? retryRegistration : abandonRegistration)
  } catch (error) {
    // parseArgs rejects unknown options and missing values with a coded TypeError.
    const code = (error as NodeJS.ErrnoException).code
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_'))
      return usageError((error as Error).message)
    throw error
  }
}
