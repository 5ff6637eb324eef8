import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../../container.js'
import { callerOf } from '../../http/auth-plugin.js'
import { problemResponses } from '../../http/problem.js'
import { requirePermissions } from '../../http/require-permissions.js'
import { type SetUserRolesDeps, setUserRoles } from './set-user-roles.js'
import { SetUserRolesBody, UserParams, UserRoles } from './set-user-roles.schemas.js'

export const setUserRolesRoute =
  (deps: SetUserRolesDeps & Pick<Deps, 'permissions'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/api/users/:userId/roles',
      {
        schema: {
          summary: "Replace a user's role grants (phase 2)",
          tags: ['users'],
          security: [{ bearer: [] }],
          params: UserParams,
          body: SetUserRolesBody,
          response: {
            200: UserRoles,
            ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503),
          },
        },
        preHandler: requirePermissions(
          deps.permissions,
          { all: ['CAN_MANAGE_USERS'] },
          (callerId) => `User with ID: ${callerId} was unable to update a user's roles`,
        ),
      },
      async (request) => {
        const { roles, trustId, trust_id } = request.body
        return setUserRoles(
          deps,
          { userId: request.params.userId, roles, trustId: trustId ?? trust_id ?? null },
          callerOf(request),
        )
      },
    )
  }
