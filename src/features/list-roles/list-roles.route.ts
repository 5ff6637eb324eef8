import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../../container.js'
import { problemResponses } from '../../http/problem.js'
import { requirePermissions } from '../../http/require-permissions.js'
import { listRoles } from './list-roles.js'
import { RolesResponse } from './list-roles.schemas.js'

export const listRolesRoute =
  (deps: Pick<Deps, 'db' | 'permissions'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/roles',
      {
        schema: {
          summary: 'List roles',
          tags: ['roles'],
          security: [{ bearer: [] }],
          response: { 200: RolesResponse, ...problemResponses(401, 403, 429, 500, 503) },
        },
        preHandler: requirePermissions(
          deps.permissions,
          { all: ['CAN_MANAGE_USERS'] },
          (callerId) => `User with ID: ${callerId} does not have permission`,
        ),
      },
      async () => ({
        roles: (await listRoles(deps)).map((role) => ({
          id: role.id,
          rolename: role.name,
          roledescription: role.description,
        })),
      }),
    )
  }
