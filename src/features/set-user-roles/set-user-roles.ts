import type { Caller } from '../../auth/token-verifier.js'
import type { Deps } from '../../container.js'
import { ADMIN_ROLE_ID } from '../../domain/roles.js'
import { type BridgeOverrides, toAppError } from '../../identity/identity-error-bridge.js'
import { refuseRemovingLastAdmin } from '../shared/last-admin-guard.js'
import { type RoleGrants, resolveRoleGrants } from '../shared/resolve-role-grants.js'
import { writeRoleGrants } from '../shared/write-role-grants.js'

export interface SetUserRolesInput {
  userId: string
  roles: string[]
  trustId: string | null
}

export interface UserRoles {
  roles: string[]
  trustId: string | null
}

export type SetUserRolesDeps = Pick<Deps, 'db' | 'idp'>

/**
 * FLIP's answers to a failed existence check, over the bridge's rows (Throttled keeps its 429).
 * None of them writes anything.
 */
const existenceOverrides = (userId: string): BridgeOverrides => {
  const missing = { code: 'user.not_found', detail: `User with ID ${userId} not found` } as const
  // FLIP answers every other provider-side failure (its 5xx) with 503 and this detail.
  const unverified = {
    code: 'idp.unavailable',
    detail: 'Could not verify user existence with the identity provider; please try again.',
  } as const
  return {
    NotFound: missing,
    // InvalidInput only means the id cannot name a user (the path is already a UUID).
    InvalidInput: missing,
    AlreadyExists: unverified,
    Unavailable: unverified,
    Ambiguous: unverified,
    ProviderError: unverified,
  }
}

/**
 * FLIP's `set_user_roles`, phase 2 alone: check that the IdP knows the user, check the roles
 * (and the Trust Admin rules), then replace the user's grants and audit "Updated user roles" in
 * one transaction. Trust-scoped grants other than Trust Admin are left alone. Grants without the
 * Admin role cannot be given to the last enabled administrator (checked in that transaction,
 * under the administrators' lock, so two admins demoting each other cannot both succeed).
 *
 * @throws Conflict (`Cannot remove the last administrator.`; nothing written), NotFound (`User
 *   with ID {id} not found`, trust), Throttled, Transient (IdP: `Could not
 *   verify user existence…`; database), BadRequest (`Invalid role(s): …`, Trust Admin rules),
 *   Internal (`Internal server error`)
 */
export const setUserRoles = async (
  deps: SetUserRolesDeps,
  input: SetUserRolesInput,
  caller: Caller,
): Promise<UserRoles> => {
  try {
    await deps.idp.getUserById(input.userId)
  } catch (error) {
    throw toAppError(error, existenceOverrides(input.userId))
  }
  // Database failures need no catch: the error handler's bridge answers them (503 or 500).
  const grants: RoleGrants = await resolveRoleGrants(deps.db, input.roles, input.trustId)
  await deps.db.transaction(async (tx) => {
    if (!grants.globalRoleIds.includes(ADMIN_ROLE_ID)) await refuseRemovingLastAdmin(tx, input.userId)
    await writeRoleGrants(tx, input.userId, grants, caller.id)
  })
  return { roles: input.roles, trustId: input.trustId }
}
