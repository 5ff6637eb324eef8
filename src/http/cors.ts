import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'

/**
 * What FLIP's web UI sends: its bearer token, JSON bodies, and the registration's idempotency key;
 * and the request id a client may choose (SPEC §3).
 */
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id']

/**
 * Readable by the UI's scripts: where a registration lives (202), how long to wait (429, 503), and
 * the request id to quote when reporting a problem.
 */
export const CORS_EXPOSED_HEADERS = ['Location', 'Retry-After', 'X-Request-Id']

export const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']

/**
 * CORS for the browser origins FLIP's UI is served from, or none when there are none. Register
 * it before authentication: the CORS hook answers every preflight (`OPTIONS`) itself, at
 * `onRequest`, so a preflight (which never carries the token) is not refused as unauthenticated.
 * Any other origin gets no `Access-Control-Allow-Origin`, so its browser keeps the answer from it.
 * Credentials (cookies) are not allowed: the API reads a bearer token only.
 */
export const registerCors = async (app: FastifyInstance, origins: readonly string[]): Promise<void> => {
  if (origins.length === 0) return
  await app.register(cors, {
    origin: [...origins],
    methods: CORS_METHODS,
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    credentials: false,
    // Browsers may reuse a preflight answer for ten minutes (Chromium caps it at two hours).
    maxAge: 600,
    // An OPTIONS without Origin is answered too (204), rather than with a plain-text 400.
    strictPreflight: false,
  })
}
