import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Deps } from '../../container.js'
import { appError } from '../../errors/error-catalogue.js'
import { problemResponses } from '../../http/problem.js'

// Compared as digests, in constant time: the comparison tells nothing about how much matched.
const digest = (value: string) => createHash('sha256').update(value).digest()

/**
 * `GET /metrics`: Prometheus text format, on the main listener. Public by design (like health
 * and readiness), unless METRICS_TOKEN is set: then the scraper must send it as a bearer token.
 * It is not an API token, so the auth plugin's JWT check is skipped (`public`) and this route
 * checks its own.
 */
export const metricsRoute =
  (deps: Pick<Deps, 'metrics' | 'config'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const expected = deps.config.metricsToken === undefined ? undefined : digest(deps.config.metricsToken)
    app.get(
      '/metrics',
      {
        config: { public: true },
        schema: {
          summary: 'Prometheus metrics (flip_users_*)',
          tags: ['health'],
          response: { 200: Type.String(), ...problemResponses(401, 500) },
        },
      },
      async (request, reply) => {
        if (expected) {
          const match = /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(request.headers.authorization ?? '')
          if (!match || !timingSafeEqual(digest(match[1]!), expected))
            throw appError('auth.invalid_token', 'Could not validate credentials')
        }
        const { registry } = deps.metrics
        const body = await registry.metrics()
        return reply.header('Cache-Control', 'no-store').type(registry.contentType).send(body)
      },
    )
  }
