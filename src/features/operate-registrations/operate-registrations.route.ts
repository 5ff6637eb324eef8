import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../../container.js'
import { callerOf } from '../../http/auth-plugin.js'
import { problemResponses } from '../../http/problem.js'
import { requestScoped } from '../../http/request-tracing.js'
import { requirePermissions } from '../../http/require-permissions.js'
import { MAX_PAGE_SIZE, pagingValue } from '../list-users/list-users.schemas.js'
import { getRegistration } from '../register-user/get-registration.js'
import { RegistrationParams } from '../register-user/register-user.schemas.js'
import { abandonRegistration } from './abandon-registration.js'
import {
  ListRegistrationsQuerystring,
  OperatorOutcomeResponse,
  RegistrationPageResponse,
} from './operate-registrations.schemas.js'
import type { OperateRegistrationsDeps } from './operator-actions.js'
import { retryRegistration } from './retry-registration.js'
import { searchRegistrations } from './search-registrations.js'

/** The operator's registration routes (docs/registrations-api.md): list, retry, abandon. */
export const operateRegistrationsRoutes =
  (deps: OperateRegistrationsDeps & Pick<Deps, 'permissions'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const canManageUsers = requirePermissions(
      deps.permissions,
      { all: ['CAN_MANAGE_USERS'] },
      (callerId) => `User with ID: ${callerId} was unable to manage users`,
    )

    app.get(
      '/api/step/users',
      {
        schema: {
          summary: 'Registrations, newest first, with counts per state',
          tags: ['registration'],
          security: [{ bearer: [] }],
          querystring: ListRegistrationsQuerystring,
          response: { 200: RegistrationPageResponse, ...problemResponses(401, 403, 422, 429, 500, 503) },
        },
        preHandler: canManageUsers,
      },
      async (request) => {
        const { state, email, since } = request.query
        return searchRegistrations(deps, {
          states: state === undefined ? [] : [state].flat(),
          ...(email !== undefined ? { email } : {}),
          ...(since !== undefined ? { since: new Date(since) } : {}),
          page: pagingValue(request.query.pageNumber, 1),
          pageSize: pagingValue(request.query.pageSize, 20, MAX_PAGE_SIZE),
        })
      },
    )

    for (const [verb, action] of [
      ['retry', retryRegistration],
      ['abandon', abandonRegistration],
    ] as const) {
      app.post(
        `/api/step/users/:registrationId/${verb}`,
        {
          schema: {
            summary:
              verb === 'retry'
                ? 'Work a registration now (needs_attention: compensate again with a fresh budget)'
                : 'Give up on a registration and undo what it created',
            tags: ['registration'],
            security: [{ bearer: [] }],
            params: RegistrationParams,
            response: {
              200: OperatorOutcomeResponse,
              ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503),
            },
          },
          preHandler: canManageUsers,
        },
        async (request) => {
          const { registrationId } = request.params
          const actor = callerOf(request).id
          const before = await getRegistration(deps, registrationId)
          const outcome = await action(requestScoped(deps, request), registrationId, actor)
          // The operator's action as one line; the transitions it caused are logged by the saga.
          request.log.info(
            {
              registrationId,
              action: verb,
              actor,
              from: before.state,
              to: outcome.registration.state,
              reason: `${verb} requested by an operator`,
              attempt: outcome.registration.attempts,
            },
            'operator action',
          )
          return {
            registration: await getRegistration(deps, registrationId),
            advanced: outcome.advanced,
            queued: outcome.queued,
          }
        },
      )
    }
  }
