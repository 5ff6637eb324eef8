import { Compile } from 'typebox/compile'
import type { Caller } from '../../auth/token-verifier.js'
import { normaliseEmail } from '../../domain/email.js'
import type { ErrorCode } from '../../errors/error-catalogue.js'
import { errorCatalogue } from '../../errors/error-catalogue.js'
import { toValidationProblem } from '../../errors/validation-errors.js'
import { batchKeyOf, importRows, type RowResult } from '../bulk-import/import-rows.js'
import type { RegisterUserDeps, RegisterUserInput } from '../register-user/register-user.js'
import { RegisterUserBody } from '../register-user/register-user.schemas.js'

const checkRow = Compile(RegisterUserBody)

/** A row refused before it is registered, as the step function would refuse it alone. */
const refused = (row: number, email: unknown, code: ErrorCode, detail: string): RowResult => ({
  row,
  email: typeof email === 'string' ? email : '',
  outcome: 'failed',
  error: { kind: errorCatalogue[code], code },
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
      const { detail } = toValidationProblem(checkRow.Errors(body), `row ${row}`)
      results[index] = refused(row, body.email, 'request.invalid', detail)
      return
    }
    const earlier = seen.get(normaliseEmail(body.email))
    if (earlier !== undefined) {
      // As a second registration of an email already registered: a conflict.
      results[index] = refused(
        row,
        body.email,
        'user.email_exists',
        `Duplicate email in this batch (row ${earlier})`,
      )
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
