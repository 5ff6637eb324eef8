import { createHash } from 'node:crypto'
import { setImmediate } from 'node:timers/promises'
import type { Caller } from '../../auth/token-verifier.js'
import { isAppError } from '../../errors/app-error.js'
import { httpStatusOf } from '../../errors/http-status.js'
import {
  type RegisterUserDeps,
  type RegisterUserInput,
  registerUser,
} from '../register-user/register-user.js'

/** What one row of a batch came to, as reported per row by the CLI and the batch endpoint. */
export interface RowResult {
  row: number
  email: string
  /** 201 completed, 202 being finished in the background, or the row's error status. */
  status: number
  registrationId: string | null
  state: string | null
  userId: string | null
  detail: string | null
}

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
    return {
      ...base,
      status: outcome.status,
      registrationId: outcome.body.registration_id,
      state: outcome.status === 201 ? 'completed' : outcome.body.state,
      userId: outcome.body.user_id,
      detail: null,
    }
  } catch (error) {
    if (!isAppError(error)) throw error
    const extensions = error.extensions as { registrationId?: string; state?: string }
    return {
      ...base,
      status: httpStatusOf[error.kind],
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
  let next = 0
  const worker = async () => {
    for (let index = next++; index < rows.length && !options.signal?.aborted; index = next++) {
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
  }
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, rows.length) }, worker))
  // Rows never started (the import was interrupted first) have no result.
  return results.filter((result) => result !== undefined)
}
