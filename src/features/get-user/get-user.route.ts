import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../../container.js'
import { callerOf } from '../../http/auth-plugin.js'
import { problemResponses } from '../../http/problem.js'
import { requirePermissions } from '../../http/require-permissions.js'
import { UserParams, UserSummary, UserView } from '../user-views/user-views.schemas.js'
import { type GetUserDeps, getCurrentUser, getUser, lookUpUser } from './get-user.js'
import { LookupQuerystring, ProjectMemberLookup } from './get-user.schemas.js'

/** `/me` and `/lookup` are static segments, which Fastify's router prefers to `/:userId`. */
export const getUserRoutes =
  (deps: GetUserDeps & Pick<Deps, 'permissions'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const security = [{ bearer: [] }]
    app.get(
      '/api/users/me',
      {
        schema: {
          summary: 'The caller, with profile',
          tags: ['users'],
          security,
          response: { 200: UserSummary, ...problemResponses(401, 403, 404, 429, 500, 503) },
        },
      },
      async (request) => getCurrentUser(deps, callerOf(request)),
    )
    app.get(
      '/api/users/lookup',
      {
        schema: {
          summary: 'Look up a project member by email',
          tags: ['users'],
          security,
          querystring: LookupQuerystring,
          response: { 200: ProjectMemberLookup, ...problemResponses(401, 403, 404, 422, 429, 500, 503) },
        },
        preHandler: requirePermissions(
          deps.permissions,
          { any: ['CAN_CREATE_PROJECTS', 'CAN_MANAGE_USERS'] },
          () => 'User is not permitted to look up project members.',
        ),
      },
      async (request) => lookUpUser(deps, request.query.email),
    )
    app.get(
      '/api/users/:userId',
      {
        schema: {
          summary: 'One user with roles and profile',
          tags: ['users'],
          security,
          params: UserParams,
          response: { 200: UserView, ...problemResponses(400, 401, 403, 404, 422, 429, 500, 503) },
        },
        preHandler: requirePermissions(
          deps.permissions,
          { all: ['CAN_MANAGE_USERS'] },
          (callerId) => `User with ID: ${callerId} was unable to manage users`,
        ),
      },
      async (request) => getUser(deps, request.params.userId),
    )
  }
