import type { Db } from '../../db/database.js'
import type { IdentityProvider, IdentityUser } from '../../identity/identity-provider.js'
import type { Registration } from '../../repositories/registrations-repository.js'
import { createUserRolesRepository } from '../../repositories/user-roles-repository.js'

/**
 * Adoption, never theft (SPEC §4): after an ambiguous create, the IdP may hold the user we asked
 * for. It is ours only if it appeared after this registration began and nobody has granted it
 * anything. Used by the create step (AlreadyExists on a retry) and by an operator's abandon.
 */
export const isOurs = async (db: Db, registration: Registration, existing: IdentityUser): Promise<boolean> =>
  // Providers may report creation to the whole second (cognito-local does), so "after we began"
  // is judged at that resolution; the no-grants rule still guards a same-second stranger.
  existing.createdAt.getTime() >= Math.floor(registration.createdAt.getTime() / 1000) * 1000 &&
  !(await createUserRolesRepository(db).holdsAny(existing.id))

/**
 * The IdP user under the registration's email if it is ours to adopt; undefined when it is
 * someone else's.
 * @throws the lookup's IdentityProviderError (NotFound when the IdP has no such user)
 */
export const adoptableUser = async (
  deps: { db: Db; idp: IdentityProvider },
  registration: Registration,
): Promise<IdentityUser | undefined> => {
  const existing = await deps.idp.getUserByEmail(registration.email)
  return (await isOurs(deps.db, registration, existing)) ? existing : undefined
}
