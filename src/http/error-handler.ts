import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { type AppError, isAppError } from '../errors/app-error.js'
import { appError } from '../errors/error-catalogue.js'
import { httpStatusOf, titleOf } from '../errors/http-status.js'
import { toValidationProblem } from '../errors/validation-errors.js'
import { toAppError } from '../identity/identity-error-bridge.js'

const sendProblem = (reply: FastifyReply, status: number, body: Record<string, unknown>) =>
  reply
    .status(status)
    .type('application/problem+json')
    // requestId last: the request's own id, whatever an error's extensions say.
    .send(
      JSON.stringify({
        type: 'about:blank',
        title: titleOf.Internal,
        status,
        ...body,
        requestId: reply.request.id,
      }),
    )

const sendAppError = (reply: FastifyReply, error: AppError) => {
  const status = httpStatusOf[error.kind]
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value)
  if (error.kind === 'Unauthenticated') reply.header('WWW-Authenticate', 'Bearer')
  if (error.retryAfterSeconds !== undefined)
    reply.header('Retry-After', String(Math.ceil(error.retryAfterSeconds)))
  return sendProblem(reply, status, {
    ...error.extensions,
    type: 'about:blank',
    title: titleOf[error.kind],
    status,
    detail: error.detail,
    code: error.code,
  })
}

/**
 * The only place that turns failures into HTTP. Known errors keep FLIP's `detail`; Fastify's own
 * 4xx (bad JSON, wrong content type, body too large) keep their status and safe message; an
 * identity-provider or database error that reached here unconverted takes its row in the error
 * bridge (429 with Retry-After, 503, 422 `idp.invalid_input`), so use cases need no try block
 * just to convert; everything else is a 500 whose body never carries the internal message.
 */
export const errorHandler = (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
  if (isAppError(error)) {
    if (error.kind === 'Internal') request.log.error({ err: error.cause ?? error }, error.detail)
    return sendAppError(reply, error)
  }
  const fastifyError = error as FastifyError
  if (fastifyError.validation) {
    return sendProblem(reply, 422, {
      title: titleOf.Unprocessable,
      ...toValidationProblem(fastifyError.validation, fastifyError.validationContext ?? 'body'),
      code: 'request.invalid',
    })
  }
  const status = fastifyError.statusCode
  if (status !== undefined && status >= 400 && status < 500) {
    return sendProblem(reply, status, {
      title: STATUS_CODES[status] ?? titleOf.BadRequest,
      detail: fastifyError.message,
      code:
        status === 415
          ? 'request.unsupported_media_type'
          : status === 413
            ? 'request.too_large'
            : 'request.malformed',
    })
  }
  const converted = toAppError(error)
  if (converted.kind === 'Internal') request.log.error({ err: error }, 'unhandled error')
  return sendAppError(reply, converted)
}

export const notFoundHandler = (request: FastifyRequest, reply: FastifyReply) =>
  sendAppError(
    reply,
    appError('route.not_found', `Route ${request.method} ${request.url.split('?')[0]} not found`),
  )
