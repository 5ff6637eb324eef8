import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../../container.js'
import { problemResponses } from '../../http/problem.js'
import { requirePermissions } from '../../http/require-permissions.js'
import { type ListUsersDeps, listUsers } from './list-users.js'
import { ListUsersQuerystring, MAX_PAGE_SIZE, pagingValue, UserPageResponse } from './list-users.schemas.js'

export const listUsersRoute =
  (deps: ListUsersDeps & Pick<Deps, 'permissions'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/users',
      {
        schema: {
          summary: 'List users with their roles and profiles, paged, with the real total',
          tags: ['users'],
          security: [{ bearer: [] }],
          querystring: ListUsersQuerystring,
          response: { 200: UserPageResponse, ...problemResponses(401, 403, 422, 429, 500, 503) },
        },
        preHandler: requirePermissions(
          deps.permissions,
          { all: ['CAN_MANAGE_USERS'] },
          (callerId) => `User with ID: ${callerId} was unable to manage users`,
        ),
      },
      async (request) =>
        listUsers(deps, {
          page: pagingValue(request.query.pageNumber, 1),
          pageSize: pagingValue(request.query.pageSize, 20, MAX_PAGE_SIZE),
          search: request.query.search ?? '',
        }),
    )
  }
