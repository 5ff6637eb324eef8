import { setTimeout as sleep } from 'node:timers/promises'
import type { Caller } from '../../auth/token-verifier.js'
import { isWorkable } from '../../domain/registration-state.js'
import { isAppError } from '../../errors/app-error.js'
import type { JobQueue } from '../../jobs/job-queue.js'
import {
  createRegistrationsRepository,
  type Registration,
} from '../../repositories/registrations-repository.js'
import { createRolesRepository } from '../../repositories/roles-repository.js'
import type { RegisterUserDeps } from '../register-user/register-user.js'
import { outcomeOf } from '../register-user/registration-outcome.js'
import { batchKeyOf, importRows, rowIdempotencyKey } from './import-rows.js'
import { type ImportProblem, parseImportFile } from './parse-import-file.js'

/** How far an import has come, counted by row. */
export interface ImportCounts {
  total: number
  done: number
  failed: number
  pending: number
}

/** A row's final word, as written to the result file. */
export interface FinalRow {
  /** The row's line in the file (the header is line 1). */
  line: number
  email: string
  registrationId: string | null
  state: string
  userId: string | null
  detail: string | null
}

export type ImportOutcome =
  | { ok: false; problems: ImportProblem[] }
  | { ok: true; interrupted: false; rows: FinalRow[] }
  /**
   * Stopped by `signal` before every row was final; `rows` are those that are (in file order).
   * The same file again finishes the rest.
   */
  | { ok: true; interrupted: true; counts: ImportCounts; rows: FinalRow[] }

const failureDetail = (registration: Registration): string | null => {
  try {
    outcomeOf(registration)
    return null
  } catch (error) {
    return isAppError(error) ? error.detail : null
  }
}

/**
 * Imports a CSV of users: every row checked first (a file with any problem registers nothing),
 * then registered as ordinary saga registrations keyed by the file's content and the row, then
 * followed until each is final. Re-running the same file after any interruption replays what is
 * done, lets the background finish what is in flight, and creates nothing twice.
 */
export const importFile = async (
  deps: RegisterUserDeps & { jobs: JobQueue },
  text: string,
  caller: Caller,
  options: {
    concurrency?: number
    pollMs?: number
    onProgress?: (counts: ImportCounts) => void
    /** Stops the import at the next row boundary: started rows get their answer, no more start. */
    signal?: AbortSignal
  } = {},
): Promise<ImportOutcome> => {
  const parsed = parseImportFile(text, await createRolesRepository(deps.db).list())
  if (!parsed.ok) return parsed
  const batchKey = batchKeyOf(text)
  const total = parsed.rows.length
  const counts: ImportCounts = { total, done: 0, failed: 0, pending: total }
  const first = await importRows(deps, parsed.rows, caller, batchKey, {
    concurrency: options.concurrency ?? 16,
    ...(options.signal ? { signal: options.signal } : {}),
    onResult: (result) => {
      // An accepted row is still pending: the background finishes it and the follow-up below counts it.
      if (result.outcome === 'completed') counts.done++
      else if (result.outcome === 'failed') counts.failed++
      options.onProgress?.({ ...counts, pending: total - counts.done - counts.failed })
    },
  })
  // Rows an interruption stopped before they began have no result here, and no registration.
  const firstByRow = new Map(first.map((result) => [result.row, result]))

  // Follow every row to a final state (or needs_attention); the background finishes the rest.
  // Rows left in flight by an earlier, interrupted run are queued once more, in case their job
  // died with that run; waiting rows already have a job due, and the queue keeps one per row.
  const registrations = createRegistrationsRepository(deps.db)
  const finals = new Map<number, FinalRow>()
  const queued = new Set<string>()
  for (;;) {
    const open = parsed.rows.flatMap((input, index) =>
      finals.has(index + 1) ? [] : [{ input, row: index + 1 }],
    )
    const found = await registrations.findByIdempotencyKeys(
      caller.id,
      open.map(({ row }) => rowIdempotencyKey(batchKey, row)),
    )
    let pending = 0
    for (const { input, row } of open) {
      const registration = found.get(rowIdempotencyKey(batchKey, row))
      if (!registration) {
        const refused = firstByRow.get(row)
        if (!refused) {
          pending++
          continue
        }
        // Refused before anything was recorded (e.g. a trust that does not exist).
        const detail = refused.detail ?? 'not registered'
        finals.set(row, {
          line: parsed.lines[row - 1]!,
          email: input.email,
          registrationId: null,
          state: 'failed',
          userId: null,
          detail,
        })
      } else if (isWorkable(registration.state)) {
        if (!queued.has(registration.id)) {
          await deps.jobs.enqueueRegistration(registration.id)
          queued.add(registration.id)
        }
        pending++
      } else {
        finals.set(row, {
          line: parsed.lines[row - 1]!,
          email: input.email,
          registrationId: registration.id,
          state: registration.state,
          userId: registration.state === 'completed' ? registration.userId : null,
          detail: failureDetail(registration),
        })
      }
    }
    const completed = [...finals.values()].filter((final) => final.state === 'completed').length
    const tally = { total, done: completed, failed: finals.size - completed, pending }
    options.onProgress?.(tally)
    if (pending === 0) break
    // Counted from the database, so the operator is told what is final, not what answered first.
    // Pending rows are durable registrations: the background (or the next run) finishes them.
    if (options.signal?.aborted) {
      const rows = [...finals.entries()].sort(([a], [b]) => a - b).map(([, final]) => final)
      return { ok: true, interrupted: true, counts: tally, rows }
    }
    await sleep(options.pollMs ?? 1_000, undefined, { signal: options.signal }).catch(() => {})
  }
  return { ok: true, interrupted: false, rows: parsed.rows.map((_, index) => finals.get(index + 1)!) }
}
