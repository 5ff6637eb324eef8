import { Compile } from 'typebox/compile'
import type { Caller } from '../../auth/token-verifier.js'
import { normaliseEmail } from '../../domain/email.js'
import { toValidationProblem } from '../../http/validation-errors.js'
import { batchKeyOf, importRows, type RowResult } from '../bulk-import/import-rows.js'
import type { RegisterUserDeps, RegisterUserInput } from '../register-user/register-user.js'
import { RegisterUserBody } from '../register-user/register-user.schemas.js'

const checkRow = Compile(RegisterUserBody)

const invalid = (row: number, email: unknown, detail: string): RowResult => ({
  row,
  email: typeof email === 'string' ? email : '',
  status: 422,
  registrationId: null,
  state: null,
  userId: null,
  detail,
})

/**
 * `POST /api/step/users/batch`: each row is an ordinary registration with a key derived from the
 * batch (the caller's Idempotency-Key, or the body itself) and the row number, so re-posting the
 * batch replays it. Invalid rows and repeated emails are answered per row; the rest register.
 *
 * @throws nothing per row: every row's outcome, error or not, is in the results
 */
export const registerBatch = async (
  deps: RegisterUserDeps,
  rows: readonly Record<string, unknown>[],
  caller: Caller,
  idempotencyKey: string | undefined,
): Promise<{ batch: string; results: RowResult[] }> => {
  const batch = batchKeyOf(idempotencyKey ?? JSON.stringify(rows))
  const results: RowResult[] = new Array(rows.length)
  const valid: { index: number; input: RegisterUserInput }[] = []
  const seen = new Map<string, number>()
  rows.forEach((body, index) => {
    const row = index + 1
    if (!checkRow.Check(body)) {
      const errors = [...checkRow.Errors(body)] as unknown as Parameters<typeof toValidationProblem>[0]
      results[index] = invalid(row, body.email, toValidationProblem(errors, `row ${row}`).detail)
      return
    }
    const earlier = seen.get(normaliseEmail(body.email))
    if (earlier !== undefined) {
      results[index] = {
        ...invalid(row, body.email, `Duplicate email in this batch (row ${earlier})`),
        status: 409,
      }
      return
    }
    seen.set(normaliseEmail(body.email), row)
    valid.push({ index, input: { ...body, trustId: body.trustId ?? body.trust_id ?? null } })
  })
  // Row numbers stay those of the whole batch, so keys and results line up on a re-post.
  const registered = await importRows(
    deps,
    valid.map((row) => row.input),
    caller,
    batch,
    { concurrency: 8, rowNumbers: valid.map((row) => row.index + 1) },
  )
  for (const result of registered) results[result.row - 1] = result
  return { batch, results }
}
