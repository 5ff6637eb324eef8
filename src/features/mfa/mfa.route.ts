import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../../container.js'
import { callerOf } from '../../http/auth-plugin.js'
import { problemResponses } from '../../http/problem.js'
import { requirePermissions } from '../../http/require-permissions.js'
import { UserParams } from '../user-views/user-views.schemas.js'
import { mfaStatus, resetMfa } from './mfa.js'
import { MfaReset, MfaStatus } from './mfa.schemas.js'

export const mfaRoutes =
  (deps: Pick<Deps, 'idp' | 'db' | 'config' | 'permissions'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/users/me/mfa/status',
      {
        // The one authenticated route the MFA gate lets through: the UI asks it to send a user
        // without a factor to enrolment.
        config: { mfaExempt: true },
        schema: {
          summary: "The caller's MFA enrolment, and whether it is required",
          tags: ['users'],
          security: [{ bearer: [] }],
          response: { 200: MfaStatus, ...problemResponses(401, 403, 404, 429, 500, 503) },
        },
      },
      async (request) => mfaStatus(deps, callerOf(request)),
    )
    app.post(
      '/api/users/:userId/mfa/reset',
      {
        schema: {
          summary: "Remove a user's MFA factor and sign them out everywhere",
          tags: ['users'],
          security: [{ bearer: [] }],
          params: UserParams,
          response: { 200: MfaReset, ...problemResponses(400, 401, 403, 404, 413, 415, 422, 429, 500, 503) },
        },
        preHandler: requirePermissions(
          deps.permissions,
          { all: ['CAN_MANAGE_USERS'] },
          (callerId) => `User with ID: ${callerId} was unable to manage users`,
        ),
      },
      async (request) => {
        const gate = app.mfaGate
        await resetMfa(
          { ...deps, ...(gate ? { forget: (username: string) => gate.forget(username) } : {}) },
          request.params.userId,
          callerOf(request),
        )
        return {}
      },
    )
  }
