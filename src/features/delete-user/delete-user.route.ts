import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../../container.js'
import { callerOf } from '../../http/auth-plugin.js'
import { problemResponses } from '../../http/problem.js'
import { requestScoped } from '../../http/request-tracing.js'
import { requirePermissions } from '../../http/require-permissions.js'
import { RegistrationView } from '../register-user/register-user.schemas.js'
import { type DeleteUserDeps, deleteUser } from './delete-user.js'
import { Deleted, DeletionAccepted, DeletionParams, UserParams } from './delete-user.schemas.js'
import { getDeletion } from './get-deletion.js'

export const deleteUserRoute =
  (deps: DeleteUserDeps & Pick<Deps, 'permissions'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const canManageUsers = requirePermissions(
      deps.permissions,
      { all: ['CAN_MANAGE_USERS'] },
      (callerId) => `User with ID: ${callerId} was unable to manage users`,
    )

    app.delete(
      '/api/users/:userId',
      {
        schema: {
          summary: 'Revoke grants, remove the profile, audit, then delete the identity-provider user',
          tags: ['users'],
          security: [{ bearer: [] }],
          params: UserParams,
          response: {
            200: Deleted,
            202: DeletionAccepted,
            ...problemResponses(400, 401, 403, 409, 413, 415, 422, 429, 500, 503),
          },
        },
        preHandler: canManageUsers,
      },
      async (request, reply) => {
        const outcome = await deleteUser(
          requestScoped(deps, request),
          request.params.userId,
          callerOf(request),
        )
        if (outcome.outcome === 'deleted') return reply.status(200).send({})
        return reply
          .status(202)
          .header('Location', outcome.location)
          .send({ deletion_id: outcome.deletionId, state: 'deleting' })
      },
    )

    app.get(
      '/api/users/deletions/:deletionId',
      {
        schema: {
          summary: 'The state and history of one user deletion',
          tags: ['users'],
          security: [{ bearer: [] }],
          params: DeletionParams,
          response: { 200: RegistrationView, ...problemResponses(400, 401, 403, 404, 422, 429, 500, 503) },
        },
        preHandler: canManageUsers,
      },
      async (request) => getDeletion(deps, request.params.deletionId),
    )
  }
