import type { Deps } from '../../container.js'
import { ADMIN_ROLE_ID } from '../../domain/roles.js'
import { isIdentityError } from '../../identity/identity-errors.js'
import type { IdentityUser } from '../../identity/identity-provider.js'
import { createAuditRepository } from '../../repositories/audit-repository.js'
import { createProfilesRepository } from '../../repositories/profiles-repository.js'
import { createUserRolesRepository } from '../../repositories/user-roles-repository.js'

export type BootstrapOutcome =
  | { outcome: 'created'; admin: IdentityUser }
  | { outcome: 'already-present' }
  | { outcome: 'not-configured' }

const findOrCreate = async (deps: Pick<Deps, 'idp'>, email: string): Promise<IdentityUser> => {
  try {
    return await deps.idp.getUserByEmail(email)
  } catch (error) {
    if (!isIdentityError(error, 'NotFound')) throw error
    // The operator is told how to get a token; an IdP invitation would only confuse that.
    return deps.idp.createUser(email, { suppressInvite: true })
  }
}

/**
 * Makes sure someone can administer a fresh deployment: if nobody holds the Admin role globally,
 * the configured admin email gets it (created in the IdP first when missing). Re-running after a
 * crash between the IdP call and the grant finds the IdP user and finishes the grant. Runs under
 * the database-wide lock, so several processes starting together grant once.
 *
 * @throws IdentityProviderError when the IdP cannot be read or written.
 */
export const bootstrapAdmin = async (
  deps: Pick<Deps, 'config' | 'database' | 'idp'>,
): Promise<BootstrapOutcome> => {
  const email = deps.config.adminEmail
  return deps.database.exclusively(async (db) => {
    if (await createUserRolesRepository(db).anyoneHolds(ADMIN_ROLE_ID)) return { outcome: 'already-present' }
    if (email === undefined) return { outcome: 'not-configured' }
    const admin = await findOrCreate(deps, email)
    await db.transaction(async (tx) => {
      await createProfilesRepository(tx).upsert({
        userId: admin.id,
        name: 'FLIP Administrator',
        organisation: 'FLIP',
      })
      await createUserRolesRepository(tx).replaceGlobal(admin.id, [ADMIN_ROLE_ID])
      const audit = createAuditRepository(tx)
      // Nobody registered the first admin; FLIP's audit needs an actor, so it is the admin itself.
      await audit.record('Registered user', admin.id, admin.id)
      await audit.record('Updated user roles', admin.id, admin.id)
    })
    return { outcome: 'created', admin }
  })
}
