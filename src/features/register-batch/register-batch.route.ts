import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { httpStatusOf } from '../../errors/http-status.js'
import { callerOf } from '../../http/auth-plugin.js'
import { problemResponses } from '../../http/problem.js'
import { requestScoped } from '../../http/request-tracing.js'
import { requirePermissions } from '../../http/require-permissions.js'
import type { RowResult } from '../bulk-import/import-rows.js'
import type { RegisterUserDeps } from '../register-user/register-user.js'
import { IdempotencyHeaders } from '../register-user/register-user.schemas.js'
import { registerBatch } from './register-batch.js'
import { RegisterBatchBody, RegisterBatchResponse } from './register-batch.schemas.js'

/** Each row's status, as the step function would have answered that row alone. */
const statusOf = (result: RowResult): number =>
  result.outcome === 'completed' ? 201 : result.outcome === 'accepted' ? 202 : httpStatusOf[result.error.kind]

export const registerBatchRoute =
  (
    deps: RegisterUserDeps & { permissions: Parameters<typeof requirePermissions>[0] },
  ): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/api/step/users/batch',
      {
        schema: {
          summary: 'Register up to 1,000 users, each as an ordinary registration, with a result per row',
          tags: ['registration'],
          security: [{ bearer: [] }],
          headers: IdempotencyHeaders,
          body: RegisterBatchBody,
          response: {
            200: RegisterBatchResponse,
            ...problemResponses(400, 401, 403, 413, 415, 422, 429, 500, 503),
          },
        },
        preHandler: requirePermissions(
          deps.permissions,
          { all: ['CAN_MANAGE_USERS'] },
          (callerId) => `User with ID: ${callerId} was unable to register a user`,
        ),
      },
      async (request) => {
        const { batch, results } = await registerBatch(
          // The background work each row queues logs under this request's id too.
          requestScoped(deps, request),
          request.body as Record<string, unknown>[],
          callerOf(request),
          request.headers['idempotency-key'],
        )
        return {
          batch,
          results: results.map((result) => ({
            row: result.row,
            email: result.email,
            status: statusOf(result),
            registration_id: result.registrationId,
            state: result.state,
            user_id: result.userId,
            detail: result.detail,
          })),
        }
      },
    )
  }
