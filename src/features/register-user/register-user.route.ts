import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../../container.js'
import { callerOf } from '../../http/auth-plugin.js'
import { problemResponses } from '../../http/problem.js'
import { requestScoped } from '../../http/request-tracing.js'
import { requirePermissions } from '../../http/require-permissions.js'
import { getRegistration } from './get-registration.js'
import { type RegisterUserDeps, registerUser } from './register-user.js'
import {
  AcceptedRegistration,
  IdempotencyHeaders,
  RegisteredUser,
  RegisterUserBody,
  RegistrationParams,
  RegistrationView,
} from './register-user.schemas.js'

export const registerUserRoutes =
  (
    deps: RegisterUserDeps & { permissions: Parameters<typeof requirePermissions>[0] } & Partial<
        Pick<Deps, 'metrics'>
      >,
  ): FastifyPluginAsyncTypebox =>
  async (app) => {
    const canManageUsers = requirePermissions(
      deps.permissions,
      { all: ['CAN_MANAGE_USERS'] },
      (callerId) => `User with ID: ${callerId} was unable to register a user`,
    )

    app.post(
      '/api/step/users',
      {
        schema: {
          summary: 'Register a user: create the identity, then grant roles (the step function)',
          tags: ['registration'],
          security: [{ bearer: [] }],
          headers: IdempotencyHeaders,
          body: RegisterUserBody,
          response: {
            201: RegisteredUser,
            202: AcceptedRegistration,
            ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503),
          },
        },
        preHandler: canManageUsers,
      },
      async (request, reply) => {
        const { body } = request
        const input = { ...body, trustId: body.trustId ?? body.trust_id ?? null }
        const outcome = await registerUser(
          requestScoped(deps, request),
          input,
          callerOf(request),
          request.headers['idempotency-key'],
        )
        if (outcome.outcome === 'completed') return reply.status(201).send(outcome.body)
        deps.metrics?.registrationOutcomes.inc({ outcome: 'accepted' })
        return reply.status(202).header('Location', outcome.location).send(outcome.body)
      },
    )

    const canReadRegistrations = requirePermissions(
      deps.permissions,
      { all: ['CAN_MANAGE_USERS'] },
      (callerId) => `User with ID: ${callerId} was unable to manage users`,
    )

    app.get(
      '/api/step/users/:registrationId',
      {
        schema: {
          summary: 'The state and history of one registration',
          tags: ['registration'],
          security: [{ bearer: [] }],
          params: RegistrationParams,
          response: { 200: RegistrationView, ...problemResponses(400, 401, 403, 404, 422, 429, 500, 503) },
        },
        preHandler: canReadRegistrations,
      },
      async (request) => getRegistration(deps, request.params.registrationId),
    )
  }
