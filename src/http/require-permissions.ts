import type { FastifyRequest } from 'fastify'
import type { PermissionChecker } from '../auth/permission-checker.js'
import type { PermissionName } from '../domain/permissions.js'
import { appError } from '../errors/error-catalogue.js'
import { callerOf } from './auth-plugin.js'

export type PermissionRule = { all: readonly PermissionName[] } | { any: readonly PermissionName[] }

/**
 * A preHandler that lets a route declare what it needs in one line. It runs before the handler,
 * so before any identity-provider call: an unauthorised caller learns nothing about accounts.
 *
 * @param denied FLIP's 403 `detail` for this route, given the caller's id.
 */
export const requirePermissions =
  (permissions: PermissionChecker, rule: PermissionRule, denied: (callerId: string) => string) =>
  async (request: FastifyRequest): Promise<void> => {
    const caller = callerOf(request)
    const allowed =
      'all' in rule
        ? await permissions.hasAll(caller.id, rule.all)
        : await permissions.hasAny(caller.id, rule.any)
    if (!allowed) throw appError('auth.forbidden', denied(caller.id))
  }
