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
import type { ImportCounts } from './import-progress.js'
import { batchKeyOf, importRows, rowIdempotencyKey } from './import-rows.js'
import { type ImportProblem, parseImportFile } from './parse-import-file.js'

/** A row's final word, as written to the result file. */
export interface FinalRow {
  row: number
  email: string
  registrationId: string | null
  state: string
  userId: string | null
  detail: string | null
}

export type ImportOutcome = { ok: false; problems: ImportProblem[] } | { ok: true; rows: FinalRow[] }

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
  options: { concurrency?: number; pollMs?: number; onProgress?: (counts: ImportCounts) => void } = {},
): Promise<ImportOutcome> => {
  const parsed = parseImportFile(text, await createRolesRepository(deps.db).list())
  if (!parsed.ok) return parsed
  const batchKey = batchKeyOf(text)
  const total = parsed.rows.length
  const counts: ImportCounts = { total, done: 0, failed: 0, pending: 0 }
  const first = await importRows(deps, parsed.rows, caller, batchKey, {
    concurrency: options.concurrency ?? 16,
    onResult: (result) => {
      if (result.status === 201) counts.done++
      else if (result.status === 202) counts.pending++
      else counts.failed++
      options.onProgress?.({ ...counts })
    },
  })

  // Follow every row to a final state (or needs_attention); the background finishes the rest.
  const registrations = createRegistrationsRepository(deps.db)
  const finals = new Map<number, FinalRow>()
  for (;;) {
    const tally: ImportCounts = { total, done: 0, failed: 0, pending: 0 }
    for (const [index, input] of parsed.rows.entries()) {
      const row = index + 1
      const known = finals.get(row)
      if (known) {
        if (known.state === 'completed') tally.done++
        else tally.failed++
        continue
      }
      const registration = await registrations.findByIdempotencyKey(
        caller.id,
        rowIdempotencyKey(batchKey, row),
      )
      if (!registration) {
        // Refused before anything was recorded (e.g. a trust that does not exist).
        const detail = first[index]?.detail ?? 'not registered'
        finals.set(row, {
          row,
          email: input.email,
          registrationId: null,
          state: 'failed',
          userId: null,
          detail,
        })
        tally.failed++
      } else if (isWorkable(registration.state)) {
        await deps.jobs.enqueueRegistration(registration.id)
        tally.pending++
      } else {
        finals.set(row, {
          row,
          email: input.email,
          registrationId: registration.id,
          state: registration.state,
          userId: registration.state === 'completed' ? registration.userId : null,
          detail: failureDetail(registration),
        })
        if (registration.state === 'completed') tally.done++
        else tally.failed++
      }
    }
    options.onProgress?.(tally)
    if (tally.pending === 0) break
    await sleep(options.pollMs ?? 1_000)
  }
  return { ok: true, rows: parsed.rows.map((_, index) => finals.get(index + 1)!) }
}
