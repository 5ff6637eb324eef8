import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../../container.js'
import { appError } from '../../errors/error-catalogue.js'
import { callerOf } from '../../http/auth-plugin.js'
import { problemResponses } from '../../http/problem.js'
import { UserParams } from '../user-views/user-views.schemas.js'
import { userPermissions } from './user-permissions.js'
import { UserPermissionsResponse } from './user-permissions.schemas.js'

export const userPermissionsRoute =
  (deps: Pick<Deps, 'db' | 'log'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/users/:userId/permissions',
      {
        schema: {
          summary: "The caller's own permissions (PascalCase) and the trust they administer",
          tags: ['users'],
          security: [{ bearer: [] }],
          params: UserParams,
          response: {
            200: UserPermissionsResponse,
            ...problemResponses(400, 401, 403, 404, 422, 429, 500, 503),
          },
        },
      },
      async (request) => {
        const caller = callerOf(request)
        const { userId } = request.params
        // Only the user themself; an Admin gets no exception (FLIP).
        if (userId.toLowerCase() !== caller.id.toLowerCase()) {
          request.log.warn(`User ${caller.id} attempted to access permissions for user ${userId}.`)
          throw appError('auth.forbidden', 'User ID does not match token ID. Access denied.')
        }
        return userPermissions(deps, caller.id)
      },
    )
  }
