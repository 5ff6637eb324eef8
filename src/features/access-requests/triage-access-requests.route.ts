import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../../container.js'
import { callerOf } from '../../http/auth-plugin.js'
import { problemResponses } from '../../http/problem.js'
import { requirePermissions } from '../../http/require-permissions.js'
import { MAX_PAGE_SIZE, pagingValue } from '../list-users/list-users.schemas.js'
import { listAccessRequests, updateAccessRequest } from './access-requests.js'
import {
  AccessRequestPage,
  AccessRequestParams,
  AccessRequestRecord,
  AccessRequestsQuerystring,
  UpdateAccessRequestBody,
} from './access-requests.schemas.js'

export const triageAccessRequestsRoutes =
  (deps: Pick<Deps, 'db' | 'permissions'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const canManage = requirePermissions(
      deps.permissions,
      { all: ['CAN_MANAGE_USERS'] },
      () => 'Not authorised to manage access requests',
    )
    app.get(
      '/api/users/access',
      {
        schema: {
          summary: 'Access requests, newest first, with the real total',
          tags: ['access requests'],
          security: [{ bearer: [] }],
          querystring: AccessRequestsQuerystring,
          response: { 200: AccessRequestPage, ...problemResponses(401, 403, 422, 429, 500, 503) },
        },
        preHandler: canManage,
      },
      async (request) =>
        listAccessRequests(deps, {
          status: request.query.status,
          page: pagingValue(request.query.pageNumber, 1),
          pageSize: pagingValue(request.query.pageSize, 20, MAX_PAGE_SIZE),
        }),
    )
    app.patch(
      '/api/users/access/:id',
      {
        schema: {
          summary: "Set an access request's status (PENDING, ENROLLED, DISMISSED)",
          tags: ['access requests'],
          security: [{ bearer: [] }],
          params: AccessRequestParams,
          body: UpdateAccessRequestBody,
          response: {
            200: AccessRequestRecord,
            ...problemResponses(400, 401, 403, 404, 413, 415, 422, 429, 500, 503),
          },
        },
        preHandler: canManage,
      },
      async (request) => updateAccessRequest(deps, request.params.id, request.body.status, callerOf(request)),
    )
  }
