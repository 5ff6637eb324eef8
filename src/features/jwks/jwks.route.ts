import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { JSONWebKeySet } from 'jose'
import { Type } from 'typebox'
import { problemResponses } from '../../http/problem.js'

const Jwks = Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) })

/** Publishes the `local` backend's public signing keys, as an IdP publishes its own. */
export const jwksRoute =
  (jwks: JSONWebKeySet): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/.well-known/jwks.json',
      {
        config: { public: true },
        schema: {
          summary: 'Public keys of locally issued tokens',
          tags: ['auth'],
          response: { 200: Jwks, ...problemResponses(500) },
        },
      },
      async (_request, reply) => reply.header('Cache-Control', 'public, max-age=300').send(jwks),
    )
  }
