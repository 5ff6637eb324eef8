import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../../container.js'
import { callerOf } from '../../http/auth-plugin.js'
import { problemResponses } from '../../http/problem.js'
import { requestScoped } from '../../http/request-tracing.js'
import { requirePermissions } from '../../http/require-permissions.js'
import { RegisterUserBody } from '../register-user/register-user.schemas.js'
import { type RegisterIdentityDeps, registerIdentity } from './register-identity.js'
import { RegisteredIdentity } from './register-identity.schemas.js'

// FLIP's newest path is `POST /api/users`; earlier versions used `POST /api/users/`. Both work:
// every path answers the same with a trailing slash (the router ignores it, http/build-app.ts).
const PATH = '/api/users'

export const registerIdentityRoutes =
  (deps: RegisterIdentityDeps & Pick<Deps, 'permissions'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const canManageUsers = requirePermissions(
      deps.permissions,
      { all: ['CAN_MANAGE_USERS'] },
      (callerId) => `User with ID: ${callerId} was unable to register a user`,
    )

    app.post(
      PATH,
      {
        schema: {
          summary: 'Create the identity-provider user and its profile, without roles (phase 1)',
          tags: ['users'],
          security: [{ bearer: [] }],
          body: RegisterUserBody,
          response: {
            200: RegisteredIdentity,
            ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503),
          },
        },
        preHandler: canManageUsers,
      },
      async (request) => {
        const { trustId, trust_id, ...body } = request.body
        return registerIdentity(
          requestScoped(deps, request),
          { ...body, trustId: trustId ?? trust_id ?? null },
          callerOf(request),
        )
      },
    )
  }
