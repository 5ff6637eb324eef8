import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Deps } from '../container.js'
import { submitAccessRequestRoute } from '../features/access-requests/submit-access-request.route.js'
import { triageAccessRequestsRoutes } from '../features/access-requests/triage-access-requests.route.js'
import { consoleRoutes } from '../features/console/console.route.js'
import { deleteUserRoute } from '../features/delete-user/delete-user.route.js'
import { getUserRoutes } from '../features/get-user/get-user.route.js'
import { healthRoutes } from '../features/health/health.route.js'
import { jwksRoute } from '../features/jwks/jwks.route.js'
import { listRolesRoute } from '../features/list-roles/list-roles.route.js'
import { listUsersRoute } from '../features/list-users/list-users.route.js'
import { metricsRoute } from '../features/metrics/metrics.route.js'
import { mfaRoutes } from '../features/mfa/mfa.route.js'
import { operateRegistrationsRoutes } from '../features/operate-registrations/operate-registrations.route.js'
import { registerBatchRoute } from '../features/register-batch/register-batch.route.js'
import { registerIdentityRoutes } from '../features/register-identity/register-identity.route.js'
import { registerUserRoutes } from '../features/register-user/register-user.route.js'
import { setUserRolesRoute } from '../features/set-user-roles/set-user-roles.route.js'
import { updateUserRoute } from '../features/update-user/update-user.route.js'
import { userPermissionsRoute } from '../features/user-permissions/user-permissions.route.js'
import { isMfaExemptRoute, isPublicRoute, registerAuthentication } from './auth-plugin.js'
import { registerCors } from './cors.js'
import {
  type DeclaredStatusMode,
  defaultDeclaredStatusMode,
  registerDeclaredStatusGuard,
} from './declared-status-guard.js'
import { errorHandler, notFoundHandler } from './error-handler.js'
import { createMfaGate } from './mfa-gate.js'
import { registerRequestTracing, requestIdOptions } from './request-tracing.js'
import { requestValidatorCompiler } from './request-validator.js'
import { docsContentSecurityPolicy, registerSecurityHeaders } from './security-headers.js'

export interface RouteEntry {
  method: string
  url: string
  public: boolean
  mfaExempt: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    routeInventory: readonly RouteEntry[]
  }
}

/**
 * Builds the HTTP application on a container's dependencies. Listening is the caller's business.
 * `declaredStatuses` holds routes to their declared responses (default: strict under the test
 * runner, off otherwise; see http/declared-status-guard.ts).
 */
export const buildApp = async (
  deps: Deps,
  options: { declaredStatuses?: DeclaredStatusMode } = {},
): Promise<FastifyInstance> => {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    // Graceful shutdown: stop accepting, let in-flight requests finish, then close.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // A URL the router cannot decode (e.g. %ED%A0%80, a surrogate's bytes) is a 400 like any
    // other bad input, answered as problem+json by the one error handler.
    frameworkErrors: (error, request, reply) => errorHandler(error, request, reply),
    // request.id is the caller's X-Request-Id (or traceparent trace id), logged as requestId.
    ...requestIdOptions(),
    // Every path answers the same with a trailing slash (FLIP's FastAPI redirects to it; FLIP's own
    // test posts to /api/step/users/): /api/users/ is the list, not /api/users/{userId} with ''.
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>()

  // TypeBox's compiler reports every error, and schemas forbid unknown body fields. No string
  // anywhere in a request may hold NUL or an unpaired surrogate (SPEC §8).
  app.setValidatorCompiler(requestValidatorCompiler)
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler(notFoundHandler)
  // Bodies are JSON. Fastify would parse text/plain into a string that validation then refuses as
  // "not an object" (422); without the parser such a body is an unsupported media type (415).
  app.removeContentTypeParser('text/plain')
  // Before any route, so it sees every one.
  registerDeclaredStatusGuard(app, options.declaredStatuses ?? defaultDeclaredStatusMode())

  // Every route as registered, for the guard test that no route is left open by accident.
  const routeInventory: RouteEntry[] = []
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      // OPTIONS is the CORS preflight, answered by the CORS hook before authentication.
      if (method !== 'HEAD' && method !== 'OPTIONS')
        routeInventory.push({
          method,
          url: route.url,
          public: isPublicRoute(route.config, route.url),
          mfaExempt: isMfaExemptRoute(route.config),
        })
    }
  })
  app.decorate('routeInventory', routeInventory)
  registerRequestTracing(app, deps.metrics)

  // Before everything else, authentication included: headers go on every answer (the docs too),
  // and preflights need no token.
  await registerSecurityHeaders(app)
  await registerCors(app, await deps.allowedWebOrigins())

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'flip-users', version: '0.1.0', description: "FLIP's user-registration service" },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  })
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    staticCSP: true,
    transformStaticCSP: docsContentSecurityPolicy,
  })

  registerAuthentication(
    app,
    deps.verifier,
    deps.accountStatus,
    deps.config.enforceMfa ? createMfaGate(deps) : undefined,
  )

  await app.register(healthRoutes(deps))
  await app.register(metricsRoute(deps))
  await app.register(listRolesRoute(deps))
  if (!deps.jobs)
    throw new Error('the HTTP app needs the job queue: registrations are finished in the background')
  await app.register(registerUserRoutes({ ...deps, jobs: deps.jobs }))
  await app.register(registerBatchRoute({ ...deps, jobs: deps.jobs }))
  await app.register(operateRegistrationsRoutes(deps))
  await app.register(registerIdentityRoutes({ ...deps, jobs: deps.jobs }))
  await app.register(setUserRolesRoute(deps))
  await app.register(deleteUserRoute({ ...deps, jobs: deps.jobs }))
  await app.register(listUsersRoute(deps))
  await app.register(getUserRoutes(deps))
  await app.register(updateUserRoute(deps))
  await app.register(userPermissionsRoute(deps))
  await app.register(submitAccessRequestRoute(deps))
  await app.register(triageAccessRequestsRoutes(deps))
  await app.register(mfaRoutes(deps))
  if (deps.localTokens) await app.register(jwksRoute(deps.localTokens.jwks))
  await app.register(consoleRoutes(deps))

  return app
}
