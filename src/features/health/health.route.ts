import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type Static, Type } from 'typebox'
import type { Deps } from '../../container.js'
import { problemResponses } from '../../http/problem.js'
import { checkReadiness, createIdentityProviderProbe } from './readiness.js'

const Checks = Type.Object({
  database: Type.Boolean(),
  migrations: Type.Boolean(),
  identityProvider: Type.Boolean(),
})
const ReadyResponse = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not ready')]),
  checks: Checks,
  /** When not ready: which parts, in words. */
  detail: Type.Optional(Type.String()),
})

const partNames: Record<keyof Static<typeof Checks>, string> = {
  database: 'the database',
  migrations: 'the database migrations',
  identityProvider: 'the identity provider',
}

export const healthRoutes =
  (deps: Pick<Deps, 'db' | 'idp' | 'log' | 'clock'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const probeIdentityProvider = createIdentityProviderProbe(deps)
    app.get(
      '/api/health',
      {
        config: { public: true },
        schema: {
          summary: 'Liveness',
          tags: ['health'],
          response: { 200: Type.Object({ status: Type.Literal('ok') }), ...problemResponses(500) },
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
          response: { 200: ReadyResponse, 503: ReadyResponse, ...problemResponses(500) },
        },
      },
      async (_request, reply) => {
        const readiness = await checkReadiness(deps, probeIdentityProvider)
        if (readiness.ready) return reply.status(200).send({ status: 'ready', checks: readiness.checks })
        const failing = (Object.keys(partNames) as (keyof typeof partNames)[]).filter(
          (part) => !readiness.checks[part],
        )
        return reply.status(503).send({
          status: 'not ready',
          checks: readiness.checks,
          detail: `Not ready: ${failing.map((part) => partNames[part]).join(', ')}`,
        })
      },
    )
  }
