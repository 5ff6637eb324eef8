import { Type } from 'typebox'

export const MAX_BATCH_ROWS = 1000

/**
 * Rows are checked one by one against the step function's body (so one bad row gets its own
 * 422 result instead of failing the batch); here only the envelope is enforced.
 */
export const RegisterBatchBody = Type.Array(Type.Object({}, { additionalProperties: true }), {
  minItems: 1,
  maxItems: MAX_BATCH_ROWS,
})

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()])

export const BatchRowResult = Type.Object({
  row: Type.Integer({ minimum: 1 }),
  email: Nullable(Type.String()),
  status: Type.Integer(),
  registration_id: Nullable(Type.String({ format: 'uuid' })),
  state: Nullable(Type.String()),
  user_id: Nullable(Type.String({ format: 'uuid' })),
  detail: Nullable(Type.String()),
})

export const RegisterBatchResponse = Type.Object({
  batch: Type.String({ description: 'the key that makes re-posting this batch replay it' }),
  results: Type.Array(BatchRowResult),
})
