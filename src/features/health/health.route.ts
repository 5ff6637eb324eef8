import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Deps } from '../../container.js'
import { checkReadiness } from './readiness.js'

const Checks = Type.Object({
  database: Type.Boolean(),
  migrations: Type.Boolean(),
  identityProvider: Type.Boolean(),
})
const ReadyResponse = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not ready')]),
  checks: Checks,
})

export const healthRoutes =
  (deps: Pick<Deps, 'db' | 'idp' | 'log'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/health',
      {
        config: { public: true },
        schema: {
          summary: 'Liveness',
          tags: ['health'],
          response: { 200: Type.Object({ status: Type.Literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    )

    app.get(
      '/api/ready',
      {
        config: { public: true },
        schema: {
          summary: 'Readiness',
          tags: ['health'],
          response: { 200: ReadyResponse, 503: ReadyResponse },
        },
      },
      async (_request, reply) => {
        const readiness = await checkReadiness(deps)
        return reply
          .status(readiness.ready ? 200 : 503)
          .send({ status: readiness.ready ? 'ready' : 'not ready', checks: readiness.checks })
      },
    )
  }
