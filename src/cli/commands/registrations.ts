import type { Deps } from '../../container.js'
import { isUuid } from '../../domain/ids.js'
import { isWorkable, type RegistrationState, registrationStates } from '../../domain/registration-state.js'
import { isAppError } from '../../errors/app-error.js'
import { appError, type ErrorCode, isErrorCode } from '../../errors/error-catalogue.js'
import { abandonRegistration } from '../../features/operate-registrations/abandon-registration.js'
import { isHolderAlive, leaseHolderOf } from '../../features/operate-registrations/lease-holder.js'
import { listRegistrations } from '../../features/operate-registrations/list-registrations.js'
import type { OperatorOutcome } from '../../features/operate-registrations/operator-actions.js'
import { retryRegistration } from '../../features/operate-registrations/retry-registration.js'
import { getRegistration } from '../../features/register-user/get-registration.js'
import {
  createRegistrationsRepository,
  type Registration,
} from '../../repositories/registrations-repository.js'
import { withCliContainer } from '../cli-container.js'
import type { registrationsListOptions } from '../command-options.js'
import { type NoOptions, type Run, UsageError } from '../command-table.js'
import { exitCodes, type FailureKind } from '../exit-codes.js'
import { CliFailure } from '../failures.js'
import { listViaServer, operateViaServer, orViaServer, showViaServer } from './registrations-over-http.js'

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
        'while the server runs, GET /api/step/users/ID shows a registration; stop it to operate registrations from here',
    },
    work,
  )

// What the operator is told to do about an error, by code. The exit code follows the error's kind
// (exitCodeOf), except where the command line reads a code as one of its own situations: asking
// to operate a final registration is a usage mistake, and one another process holds is busy
// (the same command succeeds later). Anything not listed is left to main.
// Without a `todo`, the detail's own advice (after its "; ") is what to do.
const failureByErrorCode: Partial<Record<ErrorCode, { kind?: FailureKind; todo?: string }>> = {
  'registration.not_found': { todo: 'list them with "flip-users registrations list"' },
  'registration.not_workable': {
    kind: 'usage',
    todo: 'only pending, identity_created, compensating or needs_attention registrations can be operated',
  },
  'registration.in_flight': { kind: 'busy' },
  'registration.settling': { kind: 'busy' },
}

/** The operator's errors as a CliFailure (one line, its exit code); anything else unchanged. */
const asFailure = (error: unknown, registrationId: string): unknown => {
  if (!isAppError(error) || !isErrorCode(error.code)) return error
  const known = failureByErrorCode[error.code]
  if (!known) return error
  // The catalogue's details read "what happened; what to do".
  const [happened = error.detail, ...advice] = error.detail.split('; ')
  const what = error.code === 'registration.not_found' ? `no registration ${registrationId}` : happened
  return new CliFailure(
    known.kind ?? error.kind,
    what,
    known.todo ?? (advice.join('; ') || 'try again in a moment'),
    { cause: error },
  )
}

const pad = (rows: string[][]): string[] => {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  return rows.map((row) =>
    row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  '),
  )
}

/** `flip-users registrations list`. */
export const runList: Run<typeof registrationsListOptions> = async (values) => {
  const state = values.state as RegistrationState | undefined
  if (state !== undefined && !registrationStates.includes(state))
    throw new UsageError(`unknown state "${state}"; expected one of ${registrationStates.join(', ')}`)
  const limit = Number(values.limit)
  if (!(Number.isInteger(limit) && limit > 0))
    throw new UsageError(`--limit must be a whole number above 0, not "${values.limit}"`)
  const filter = { ...(state ? { state } : {}), limit }
  const print = (rows: Awaited<ReturnType<typeof listRegistrations>>) => {
    if (values.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`)
    } else if (rows.length === 0) {
      process.stdout.write(state ? `No registrations in state ${state}.\n` : 'No registrations.\n')
    } else {
      const lines = pad([
        ['ID', 'KIND', 'STATE', 'EMAIL', 'USER ID', 'ATTEMPTS', 'UPDATED'],
        ...rows.map((row) => [
          row.registration_id,
          row.kind,
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
  }
  // While an embedded server holds the data directory, the same list from its HTTP API.
  return orViaServer(
    () => withDeps(false, async (deps) => print(await listRegistrations(deps, filter))),
    async (server) => print(await listViaServer(server, filter)),
  )
}

/** `flip-users registrations show ID`. */
export const runShow: Run<NoOptions> = (_values, positionals) => {
  const id = positionals[0]!
  const show = async (view: (id: string) => Promise<unknown>) => {
    try {
      // A malformed id names no registration; the database would only reject its syntax.
      if (!isUuid(id)) throw appError('registration.not_found', `No registration ${id}`)
      process.stdout.write(`${JSON.stringify(await view(id), null, 2)}\n`)
      return exitCodes.ok
    } catch (error) {
      throw asFailure(error, id)
    }
  }
  return orViaServer(
    () => withDeps(false, (deps) => show((registrationId) => getRegistration(deps, registrationId))),
    (server) => show((registrationId) => showViaServer(server, registrationId)),
  )
}

interface LeaseView {
  until: string
  /** false: the holder is gone; true: it is alive; undefined: this process cannot tell. */
  alive: boolean | undefined
  who: string
}

/**
 * Who holds a registration this command could not claim, truthfully: embedded, this process owns
 * the data directory, so a held lease was left by a process that is gone; on PostgreSQL the
 * holder's pid is checked when it ran on this host. Either way the lease's expiry is when another
 * worker picks the registration up.
 */
const leaseOf = (registration: Registration, embedded: boolean): LeaseView | undefined => {
  if (!registration.leaseUntil) return undefined
  const holder = leaseHolderOf(registration.leaseOwner)
  return {
    until: registration.leaseUntil.toISOString(),
    alive: embedded ? false : holder ? isHolderAlive(holder) : undefined,
    who: holder ? ` (${holder.actor}, pid ${holder.pid} on ${holder.host})` : '',
  }
}

const describeHolder = (registration: Registration, embedded: boolean): string => {
  const lease = leaseOf(registration, embedded)
  if (!lease) return 'Another process was working on it a moment ago; it will carry on from there.'
  const { until, alive, who } = lease
  if (alive === false)
    return `It is held until ${until} by a worker that is not answering${who}; it will be picked up after ${until}.`
  if (alive === true)
    return `Another process${who} is working on it right now (lease until ${until}); it will carry on from there.`
  return `It is held until ${until} by another worker${who}; if that worker has stopped, it will be picked up after ${until}.`
}

/** An abandon refused because the registration is leased: say by whom and until when. */
const heldFailure = async (deps: Deps, id: string, error: unknown): Promise<unknown> => {
  if (!isAppError(error) || error.code !== 'registration.in_flight' || !isUuid(id)) return error
  const registration = await createRegistrationsRepository(deps.db).findById(id)
  const lease = registration && leaseOf(registration, deps.database.kind === 'pglite')
  if (!lease) return error
  const { until, alive, who } = lease
  const holder =
    alive === false
      ? `a worker that is not answering${who}`
      : alive === true
        ? `a process that is working on it${who}`
        : `another worker${who}`
  return new CliFailure(
    'busy',
    `registration ${id} is held until ${until} by ${holder}`,
    `run this again after ${until}`,
    {
      cause: error,
    },
  )
}

const describeOutcome = ({ registration, advanced, queued }: OperatorOutcome, embedded: boolean) => {
  const lines = [`Registration ${registration.id} is now ${registration.state}.`]
  if (!advanced && isWorkable(registration.state)) lines.push(describeHolder(registration, embedded))
  const unfinished = isWorkable(registration.state) || registration.state === 'needs_attention'
  if (registration.errorDetail && unfinished) lines.push(`Last error: ${registration.errorDetail}`)
  if (isWorkable(registration.state) && advanced) {
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

const operate = (
  id: string,
  action: typeof retryRegistration | typeof abandonRegistration,
  verb: 'retry' | 'abandon',
) =>
  orViaServer(
    () =>
      withDeps(true, async (deps) => {
        try {
          const outcome = await action(deps, id)
          process.stdout.write(`${describeOutcome(outcome, deps.database.kind === 'pglite').join('\n')}\n`)
          return outcome.registration.state === 'needs_attention' ? exitCodes.failure : exitCodes.ok
        } catch (error) {
          throw asFailure(await heldFailure(deps, id, error), id)
        }
      }),
    // While an embedded server holds the data directory, the server does it, as its bootstrap admin.
    async (server) => {
      try {
        if (!isUuid(id)) throw appError('registration.not_found', `No registration ${id}`)
        return await operateViaServer(server, verb, id)
      } catch (error) {
        throw asFailure(error, id)
      }
    },
  )

/** `flip-users registrations retry ID`. */
export const runRetry: Run<NoOptions> = (_values, positionals) =>
  operate(positionals[0]!, retryRegistration, 'retry')

/** `flip-users registrations abandon ID`. */
export const runAbandon: Run<NoOptions> = (_values, positionals) =>
  operate(positionals[0]!, abandonRegistration, 'abandon')
