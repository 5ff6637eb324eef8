import { Type } from 'typebox'

/** RFC 9457 problem details, always with FLIP's `detail` string. */
export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.Optional(Type.String()),
  },
  { additionalProperties: true, description: 'application/problem+json' },
)

export const ValidationProblem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Literal(422),
    detail: Type.String(),
    errors: Type.Array(
      Type.Object({
        loc: Type.Array(Type.Union([Type.String(), Type.Integer()])),
        msg: Type.String(),
        type: Type.String(),
      }),
    ),
  },
  { description: 'every validation problem, not just the first' },
)

/** Response schemas for the error statuses a route can answer, for the OpenAPI document. */
export const problemResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, status === 422 ? ValidationProblem : Problem]))
