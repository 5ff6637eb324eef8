import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../../container.js'
import { callerOf } from '../../http/auth-plugin.js'
import { problemResponses } from '../../http/problem.js'
import { requirePermissions } from '../../http/require-permissions.js'
import { type DeleteUserDeps, deleteUser } from './delete-user.js'
import { Deleted, UserParams } from './delete-user.schemas.js'

export const deleteUserRoute =
  (deps: DeleteUserDeps & Pick<Deps, 'permissions'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.delete(
      '/api/users/:userId',
      {
        schema: {
          summary: 'Revoke grants, remove the profile, audit, then delete the identity-provider user',
          tags: ['users'],
          security: [{ bearer: [] }],
          params: UserParams,
          response: { 200: Deleted, ...problemResponses(401, 403, 409, 422, 429, 500, 503) },
        },
        preHandler: requirePermissions(
          deps.permissions,
          { all: ['CAN_MANAGE_USERS'] },
          (callerId) => `User with ID: ${callerId} was unable to manage users`,
        ),
      },
      async (request) => {
        await deleteUser(deps, request.params.userId, callerOf(request))
        return {}
      },
    )
  }
