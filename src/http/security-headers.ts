import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'

/**
 * The Content-Security-Policy of the OpenAPI page (`/api/docs`), which, unlike the JSON API,
 * loads scripts, styles and images: swagger-ui's own policy with framing refused, and without
 * `upgrade-insecure-requests`, which would break the page served over plain HTTP on loopback.
 */
export const docsContentSecurityPolicy = (policy: string): string =>
  policy
    .replace(/frame-ancestors [^;]*;/, "frame-ancestors 'none';")
    .replace(/\s*upgrade-insecure-requests;?/, '')
    .trim()

/**
 * Security headers for a JSON API (helmet): nothing may be loaded or framed on the strength of
 * an API answer (`default-src 'none'; frame-ancestors 'none'`, `X-Frame-Options: DENY`), no
 * MIME sniffing, no Referer. Responses are `Cache-Control: no-store` unless a route chose
 * otherwise (the docs' static files), so no browser or proxy keeps a user's data or a token-bearing
 * answer, problem responses included.
 */
export const registerSecurityHeaders = async (app: FastifyInstance): Promise<void> => {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  })
  app.addHook('onSend', async (_request, reply, payload) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store')
    return payload
  })
}
