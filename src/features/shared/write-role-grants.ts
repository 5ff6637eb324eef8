import type { Db } from '../../db/database.js'
import { TRUST_ADMIN_ROLE_ID } from '../../domain/roles.js'
import { createAuditRepository } from '../../repositories/audit-repository.js'
import { createUserRolesRepository } from '../../repositories/user-roles-repository.js'
import type { RoleGrants } from './resolve-role-grants.js'

/**
 * Replaces the user's role grants and audits it. Call it on a transaction: the grants and the
 * audit row must commit together (and, in the saga, with the move to `completed`).
 */
export const writeRoleGrants = async (
  tx: Db,
  userId: string,
  grants: RoleGrants,
  actorId: string,
): Promise<void> => {
  const userRoles = createUserRolesRepository(tx)
  await userRoles.replaceGlobal(userId, grants.globalRoleIds)
  await userRoles.replaceTrustAdmin(userId, TRUST_ADMIN_ROLE_ID, grants.trustAdminOf)
  await createAuditRepository(tx).record('Updated user roles', userId, actorId)
}
