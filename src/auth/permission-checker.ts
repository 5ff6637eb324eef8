import type { Logger } from 'pino'
import type { Db } from '../db/database.js'
import { type PermissionName, trustScopedPermissions } from '../domain/permissions.js'
import { createPermissionsRepository } from '../repositories/permissions-repository.js'

export interface PermissionChecker {
  /** AND: the caller holds every permission through global grants. */
  hasAll(userId: string, required: readonly PermissionName[]): Promise<boolean>
  /** OR: the caller holds at least one through global grants. */
  hasAny(userId: string, required: readonly PermissionName[]): Promise<boolean>
  /** AND over grants held at exactly `trustId`; a global Admin never satisfies it. */
  hasAllAtTrust(userId: string, required: readonly PermissionName[], trustId: string): Promise<boolean>
}

/**
 * FLIP's authorisation rules (auth_utils). Every check fails closed: an empty requirement, a
 * database error, or (for trust checks) a permission that is not trust-scoped answers false.
 */
export const createPermissionChecker = (deps: { db: Db; log: Logger }): PermissionChecker => {
  const permissions = createPermissionsRepository(deps.db)

  const failClosed = async (
    userId: string,
    read: () => Promise<string[]>,
    test: (held: Set<string>) => boolean,
  ) => {
    try {
      return test(new Set(await read()))
    } catch (error) {
      deps.log.error({ err: error, userId }, 'permission check failed; denying')
      return false
    }
  }

  return {
    async hasAll(userId, required) {
      if (required.length === 0) return false
      return failClosed(
        userId,
        () => permissions.globalPermissionNames(userId),
        (held) => required.every((name) => held.has(name)),
      )
    },
    async hasAny(userId, required) {
      if (required.length === 0) return false
      return failClosed(
        userId,
        () => permissions.globalPermissionNames(userId),
        (held) => required.some((name) => held.has(name)),
      )
    },
    async hasAllAtTrust(userId, required, trustId) {
      if (required.length === 0 || !required.every((name) => trustScopedPermissions.includes(name)))
        return false
      return failClosed(
        userId,
        () => permissions.trustPermissionNames(userId, trustId),
        (held) => required.every((name) => held.has(name)),
      )
    },
  }
}
