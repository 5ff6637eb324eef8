import rateLimit from '@fastify/rate-limit'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../../container.js'
import { appError } from '../../errors/error-catalogue.js'
import { problemResponses } from '../../http/problem.js'
import { type AccessRequestNotifier, createLogNotifier } from './access-request-notifier.js'
import { submitAccessRequest } from './access-requests.js'
import { AccessRequestBody, NoContent } from './access-requests.schemas.js'

/** Per client address, per hour, unless ACCESS_REQUESTS_PER_HOUR says otherwise. */
export const DEFAULT_ACCESS_REQUESTS_PER_HOUR = 10

const missing = (field: string) => ({ loc: ['body', field], msg: 'Field required', type: 'missing' })

/**
 * The one public write: anyone may ask for access. Rate-limited per address (in this process's
 * memory: with N replicas an address gets up to N times the limit) so it cannot be used to fill
 * the table or flood the administrators.
 */
export const submitAccessRequestRoute =
  (
    deps: Pick<Deps, 'db' | 'log' | 'config'> & { notifier?: AccessRequestNotifier },
  ): FastifyPluginAsyncTypebox =>
  async (app) => {
    const notifier = deps.notifier ?? createLogNotifier(deps.log)
    // Scoped to this plugin: only routes here that ask for it are limited.
    await app.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_request, context) =>
        appError('access_request.rate_limited', 'Too many access requests; please try again later.', {
          retryAfterSeconds: Math.max(1, Math.ceil(context.ttl / 1000)),
        }),
    })
    app.post(
      '/api/users/access',
      {
        config: {
          public: true,
          rateLimit: {
            max: deps.config.accessRequestsPerHour ?? DEFAULT_ACCESS_REQUESTS_PER_HOUR,
            timeWindow: 60 * 60 * 1000,
          },
        },
        schema: {
          summary: 'Ask for an account (public; rate-limited per address)',
          tags: ['access requests'],
          body: AccessRequestBody,
          response: { 204: NoContent, ...problemResponses(400, 413, 415, 422, 429, 500, 503) },
        },
      },
      async (request, reply) => {
        const { email, fullName, full_name, reasonForAccess, reason_for_access } = request.body
        const name = fullName ?? full_name
        const reason = reasonForAccess ?? reason_for_access
        if (name === undefined || reason === undefined) {
          const errors = [
            ...(name === undefined ? [missing('fullName')] : []),
            ...(reason === undefined ? [missing('reasonForAccess')] : []),
          ]
          throw appError('request.invalid', `Validation error: ${errors[0]!.loc.join('.')}: Field required`, {
            extensions: { errors },
          })
        }
        await submitAccessRequest({ ...deps, notifier }, { email, fullName: name, reasonForAccess: reason })
        return reply.status(204).send(null)
      },
    )
  }
