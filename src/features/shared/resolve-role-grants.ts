import type { Db } from '../../db/database.js'
import { RESEARCHER_ROLE_ID, TRUST_ADMIN_ROLE_ID } from '../../domain/roles.js'
import { appError } from '../../errors/error-catalogue.js'
import { createRolesRepository } from '../../repositories/roles-repository.js'
import { createTrustsRepository } from '../../repositories/trusts-repository.js'

export interface RoleGrants {
  /** Granted with `trust_id IS NULL`. */
  globalRoleIds: string[]
  /** The trust a Trust Admin administers, or null. */
  trustAdminOf: string | null
}

/**
 * Role ids known to exist. Roles are reference data: seeded by migrations with fixed ids and
 * never removed by the service, so a known id stays valid and only an unknown one is looked up
 * (and remembered once found). A role removed by hand surfaces as a grant's foreign-key failure
 * (a definitive error the saga compensates, never a grant to nothing), which forgets them all.
 */
const knownRoleIds = new Set<string>()

/** After a grant referred to a role that is gone: every id is looked up again. */
export const forgetKnownRoles = (): void => knownRoleIds.clear()

const unknownRoleIds = async (db: Db, requested: readonly string[]): Promise<string[]> => {
  const unseen = requested.filter((id) => !knownRoleIds.has(id))
  if (unseen.length === 0) return []
  const existing = await createRolesRepository(db).existingIds(unseen)
  for (const id of existing) knownRoleIds.add(id)
  return unseen.filter((id) => !existing.has(id))
}

// FLIP prints Python's repr of the list: `Invalid role(s): [UUID('…')]`.
const invalidRoles = (ids: readonly string[]) =>
  appError('roles.invalid', `Invalid role(s): [${ids.map((id) => `UUID('${id}')`).join(', ')}]`)

/**
 * Checks requested roles and turns them into grants, with FLIP's Trust Admin rules: Trust Admin
 * is a user's only role, is held at exactly one existing trust, and makes the user a Researcher
 * globally; no other role is held at a trust. Runs before any IdP call.
 *
 * @throws BadRequest (`Invalid role(s): …` and the Trust Admin rules), NotFound (`Trust {id} not found`)
 */
export const resolveRoleGrants = async (
  db: Db,
  roleIds: readonly string[],
  trustId: string | null,
): Promise<RoleGrants> => {
  const requested = [...new Set(roleIds.map((id) => id.toLowerCase()))]
  const unknown = await unknownRoleIds(db, requested)
  if (unknown.length > 0) throw invalidRoles(unknown)
  if (!requested.includes(TRUST_ADMIN_ROLE_ID)) {
    if (trustId !== null)
      throw appError('roles.only_trust_admin_at_trust', 'Only the Trust Admin role is held at a trust.')
    return { globalRoleIds: requested, trustAdminOf: null }
  }
  if (requested.length > 1)
    throw appError('roles.trust_admin_only_role', "Trust Admin is a user's only role.")
  if (trustId === null)
    throw appError('roles.trust_admin_needs_trust', 'Choose the trust a Trust Admin administers.')
  if (!(await createTrustsRepository(db).exists(trustId)))
    throw appError('trust.not_found', `Trust ${trustId} not found`)
  return { globalRoleIds: [RESEARCHER_ROLE_ID], trustAdminOf: trustId }
}
