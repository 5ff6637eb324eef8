import type { Caller } from '../../auth/token-verifier.js'
import type { Deps } from '../../container.js'
import { appError } from '../../errors/error-catalogue.js'
import { isIdentityError } from '../../identity/identity-errors.js'
import type { IdentityUser } from '../../identity/identity-provider.js'
import { createProfilesRepository } from '../../repositories/profiles-repository.js'
import { toAppError } from '../shared/identity-failures.js'
import { identityReadFailure, toUserSummary, toUserViews } from '../user-views/user-views.js'
import type { UserSummary, UserView } from '../user-views/user-views.schemas.js'

export type GetUserDeps = Pick<Deps, 'db' | 'idp'>

const readIdentity = async (read: () => Promise<IdentityUser>): Promise<IdentityUser> => {
  try {
    return await read()
  } catch (error) {
    throw identityReadFailure(error)
  }
}

const databaseFailure = (error: unknown) =>
  toAppError(error, () => appError('internal.unexpected', 'Internal server error', { cause: error }))

/**
 * FLIP's `/users/me`: the caller as the identity provider knows it, with the profile merged in.
 * @throws NotFound (the provider's "… is not registered."), Throttled, Transient, Internal
 */
export const getCurrentUser = async (deps: GetUserDeps, caller: Caller): Promise<UserSummary> => {
  const user = await readIdentity(() => deps.idp.getUserById(caller.id))
  try {
    return toUserSummary(user, await createProfilesRepository(deps.db).find(user.id))
  } catch (error) {
    throw databaseFailure(error)
  }
}

/**
 * FLIP's `/users/lookup`: the narrow record a project owner needs, with no profile. A missing
 * user is `User not found.`, never echoing the address (the caller may be probing).
 * @throws NotFound, Throttled, Transient, Internal
 */
export const lookUpUser = async (
  deps: Pick<Deps, 'idp'>,
  email: string,
): Promise<{ id: string; email: string; isDisabled: boolean }> => {
  try {
    const user = await deps.idp.getUserByEmail(email)
    return { id: user.id, email: user.email, isDisabled: !user.enabled }
  } catch (error) {
    if (isIdentityError(error, 'NotFound'))
      throw appError('user.not_found', 'User not found.', { cause: error })
    throw identityReadFailure(error)
  }
}

/**
 * FLIP's `/users/{id}`: one user with roles, profile and administered trust.
 * @throws NotFound (the provider's "… is not registered."), Throttled, Transient, Internal
 */
export const getUser = async (deps: GetUserDeps, userId: string): Promise<UserView> => {
  const user = await readIdentity(() => deps.idp.getUserById(userId))
  try {
    const [view] = await toUserViews(deps.db, [user])
    return view!
  } catch (error) {
    throw databaseFailure(error)
  }
}
