import type { FastifyInstance } from 'fastify'
import { httpStatusOf, titleOf } from '../errors/http-status.js'

/** What a route declares it answers, as the guard test reads it. */
export interface DeclaredRoute {
  method: string
  url: string
  /** The keys of `schema.response` (`201`, `422`, `4xx`, `default`), or undefined without one. */
  declared: readonly string[] | undefined
  /** Which request parts the route validates: each can be refused with a 422. */
  validates: { body: boolean; params: boolean; querystring: boolean; headers: boolean }
}

/**
 * `off`: nothing is checked. `log`: a route answering a status it does not declare is logged at
 * error. `strict`: logged, and the answer becomes a 500 `response.undeclared_status`, so the test
 * that provoked it fails on the spot.
 */
export type DeclaredStatusMode = 'off' | 'log' | 'strict'

declare module 'fastify' {
  interface FastifyInstance {
    declaredRoutes: readonly DeclaredRoute[]
  }
}

/** True when `status` is one of `declared`: its own key, its class (`4xx`), or `default`. */
export const isDeclaredStatus = (declared: readonly string[], status: number): boolean =>
  declared.includes(String(status)) ||
  declared.includes(`${String(status)[0]}xx`) ||
  declared.includes('default')

/** Strict under the test runner, off in production unless asked for. */
export const defaultDeclaredStatusMode = (env: NodeJS.ProcessEnv = process.env): DeclaredStatusMode =>
  env.NODE_ENV === 'test' || env.VITEST ? 'strict' : 'off'

/**
 * Holds routes to what they declare, the way logto's koaGuard does: `schema.response` is the
 * contract the OpenAPI document publishes, and a status missing from it is a contract broken
 * silently (Fastify serialises an undeclared status without complaint). With the guard on, every
 * test that drives a route (the fuzzers, the hostile-input suite) checks its answers for free.
 *
 * Routes without a response schema (the docs pages, a plugin's own) are not checked here; the
 * guard test lists them. Must be registered before the routes it watches.
 */
export const registerDeclaredStatusGuard = (app: FastifyInstance, mode: DeclaredStatusMode): void => {
  const declaredRoutes: DeclaredRoute[] = []
  app.addHook('onRoute', (route) => {
    const schema = route.schema ?? {}
    for (const method of [route.method].flat()) {
      if (method === 'HEAD' || method === 'OPTIONS') continue
      declaredRoutes.push({
        method,
        url: route.url,
        declared: schema.response ? Object.keys(schema.response) : undefined,
        validates: {
          body: schema.body !== undefined,
          params: schema.params !== undefined,
          querystring: schema.querystring !== undefined,
          headers: schema.headers !== undefined,
        },
      })
    }
  })
  app.decorate('declaredRoutes', declaredRoutes)
  if (mode === 'off') return

  app.addHook('onSend', async (request, reply, payload) => {
    const response = request.routeOptions.schema?.response as Record<string, unknown> | undefined
    // The not-found handler has no route and so no schema: nothing was declared to break.
    if (request.is404 || response === undefined) return payload
    const status = reply.statusCode
    if (isDeclaredStatus(Object.keys(response), status)) return payload
    const route = `${request.method} ${request.routeOptions.url}`
    request.log.error({ route, status }, 'a route answered a status its schema.response does not declare')
    if (mode !== 'strict') return payload
    reply.code(httpStatusOf.Internal).type('application/problem+json')
    return JSON.stringify({
      type: 'about:blank',
      title: titleOf.Internal,
      status: httpStatusOf.Internal,
      detail: `${route} answered ${status}, which its schema.response does not declare`,
      code: 'response.undeclared_status',
      requestId: request.id,
    })
  })
}
