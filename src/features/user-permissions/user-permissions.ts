import type { Deps } from '../../container.js'
import { toPascalCase } from '../../domain/permissions.js'
import { appError } from '../../errors/error-catalogue.js'
import { toAppError } from '../../identity/identity-error-bridge.js'
import { createPermissionsRepository } from '../../repositories/permissions-repository.js'
import { createUserDirectoryRepository, type TrustRef } from '../../repositories/user-directory-repository.js'
import { createUserRolesRepository } from '../../repositories/user-roles-repository.js'

export interface UserPermissions {
  permissions: string[]
  trustAdminOf: TrustRef | null
}

/**
 * FLIP's `retrieve_user_permissions` for the caller themself: the PascalCase names of the
 * permissions reachable through their global grants, and the trust they administer. The database
 * is the only source; the identity provider is not asked.
 *
 * @throws NotFound (no global role), Transient (database unavailable), Internal
 *   (`An internal server error occurred.`)
 */
export const userPermissions = async (deps: Pick<Deps, 'db'>, userId: string): Promise<UserPermissions> => {
  let found: UserPermissions | undefined
  try {
    if ((await createUserRolesRepository(deps.db).globalRoleIds(userId)).length > 0) {
      const names = await createPermissionsRepository(deps.db).globalPermissionNames(userId)
      const trusts = await createUserDirectoryRepository(deps.db).trustAdminOf([userId])
      found = { permissions: names.sort().map(toPascalCase), trustAdminOf: trusts.get(userId) ?? null }
    }
  } catch (error) {
    // FLIP's own 500 detail for this endpoint; an outage keeps the bridge's 503.
    throw toAppError(error, {
      otherwise: { code: 'permissions.failed', detail: 'An internal server error occurred.' },
    })
  }
  if (!found) throw appError('user.no_role', 'The user does not exist or does not have a role assigned.')
  return found
}
