import { createHash } from 'node:crypto'
import { setImmediate } from 'node:timers/promises'
import PQueue from 'p-queue'
import type { Caller } from '../../auth/token-verifier.js'
import { type AppError, isAppError } from '../../errors/app-error.js'
import {
  type RegisterUserDeps,
  type RegisterUserInput,
  registerUser,
} from '../register-user/register-user.js'

/** Why a row did not register: the error's kind and catalogue code, as every caller maps them. */
export type RowError = Pick<AppError, 'kind' | 'code'>

/**
 * What one row of a batch came to, as reported per row by the CLI and the batch endpoint:
 * `completed`, `accepted` (durable, being finished in the background), or `failed` with its error.
 */
export type RowResult = {
  row: number
  email: string
  registrationId: string | null
  state: string | null
  userId: string | null
  detail: string | null
} & ({ outcome: 'completed' } | { outcome: 'accepted' } | { outcome: 'failed'; error: RowError })

/**
 * A stable key per row: the same file (or batch body) gives the same keys, so re-running it after
 * a crash replays each row's registration instead of starting a second one.
 */
export const rowIdempotencyKey = (batchKey: string, row: number): string => `batch:${batchKey}:${row}`

export const batchKeyOf = (content: string): string =>
  createHash('sha256').update(content).digest('hex').slice(0, 32)

const resultOf = async (
  deps: RegisterUserDeps,
  input: RegisterUserInput,
  row: number,
  caller: Caller,
  batchKey: string,
): Promise<RowResult> => {
  const base = { row, email: input.email }
  try {
    const outcome = await registerUser(deps, input, caller, rowIdempotencyKey(batchKey, row))
    const answered = {
      ...base,
      registrationId: outcome.body.registration_id,
      userId: outcome.body.user_id,
      detail: null,
    }
    return outcome.outcome === 'completed'
      ? { ...answered, outcome: 'completed', state: 'completed' }
      : { ...answered, outcome: 'accepted', state: outcome.body.state }
  } catch (error) {
    if (!isAppError(error)) throw error
    const extensions = error.extensions as { registrationId?: string; state?: string }
    return {
      ...base,
      outcome: 'failed',
      error: { kind: error.kind, code: error.code },
      registrationId: extensions.registrationId ?? null,
      state: extensions.state ?? null,
      userId: null,
      detail: error.detail,
    }
  }
}

/**
 * Registers every row as an ordinary registration of the saga (same validation, idempotency,
 * compensation and background completion), `concurrency` at a time; identity-provider pacing
 * keeps the whole import at, not above, the provider's quota.
 */
export const importRows = async (
  deps: RegisterUserDeps,
  rows: readonly RegisterUserInput[],
  caller: Caller,
  batchKey: string,
  options: {
    concurrency?: number
    onResult?: (result: RowResult) => void
    /** The rows' numbers in the whole batch, when `rows` is a subset of it (default 1…n). */
    rowNumbers?: readonly number[]
    /** Once aborted, no further row is started; rows already started run to their answer. */
    signal?: AbortSignal
  } = {},
): Promise<RowResult[]> => {
  const results: (RowResult | undefined)[] = new Array(rows.length)
  const queue = new PQueue({ concurrency: Math.max(1, options.concurrency ?? 8) })
  const register = async (index: number) => {
    // Checked as each row comes up, so an abort stops at the next row boundary.
    if (options.signal?.aborted) return
    const result = await resultOf(
      deps,
      rows[index]!,
      options.rowNumbers?.[index] ?? index + 1,
      caller,
      batchKey,
    )
    results[index] = result
    options.onResult?.(result)
    // Embedded, every step is an in-process PGlite promise: without a turn of the event loop
    // between rows, timers and signals would wait for the whole import — the data-directory
    // lock's refresh (so it could look stale to another process), the job workers, Ctrl-C.
    await setImmediate()
  }
  try {
    await Promise.all(rows.map((_, index) => queue.add(() => register(index))))
  } catch (error) {
    // An unexpected error ends the import: no further row starts (started ones finish).
    queue.clear()
    throw error
  }
  // Rows never started (the import was interrupted first) have no result.
  return results.filter((result) => result !== undefined)
}
