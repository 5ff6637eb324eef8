import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../../container.js'
import { callerOf } from '../../http/auth-plugin.js'
import { problemResponses } from '../../http/problem.js'
import { requirePermissions } from '../../http/require-permissions.js'
import { UserParams } from '../user-views/user-views.schemas.js'
import { suppliedFields, type UpdateUserDeps, updateUser } from './update-user.js'
import { UpdateUserBody, UpdateUserResponse } from './update-user.schemas.js'

export const updateUserRoute =
  (deps: UpdateUserDeps & Pick<Deps, 'permissions'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.put(
      '/api/users/:userId',
      {
        schema: {
          summary: "Disable or enable a user, or change the profile's name or organisation",
          tags: ['users'],
          security: [{ bearer: [] }],
          params: UserParams,
          body: UpdateUserBody,
          response: {
            200: UpdateUserResponse,
            ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503),
          },
        },
        preHandler: requirePermissions(
          deps.permissions,
          { all: ['CAN_MANAGE_USERS'] },
          (callerId) => `User with ID: ${callerId} was unable to manage users`,
        ),
      },
      async (request) =>
        updateUser(deps, request.params.userId, suppliedFields(request.body), callerOf(request)),
    )
  }
