import type { Caller } from '../../auth/token-verifier.js'
import type { Deps } from '../../container.js'
import { toAppError } from '../../identity/identity-error-bridge.js'
import type { IdentityUser } from '../../identity/identity-provider.js'
import { createProfilesRepository } from '../../repositories/profiles-repository.js'
import {
  identityReadFailure,
  identityReadOverrides,
  toUserSummary,
  toUserViews,
} from '../user-views/user-views.js'
import type { UserSummary, UserView } from '../user-views/user-views.schemas.js'

export type GetUserDeps = Pick<Deps, 'db' | 'idp'>

// Reclassifies FLIP's way: a missing user is the provider's 404, other refusals its 500 text.
// Database failures after the read need no catch: the error handler's bridge answers them.
const readIdentity = async (read: () => Promise<IdentityUser>): Promise<IdentityUser> => {
  try {
    return await read()
  } catch (error) {
    throw identityReadFailure(error)
  }
}

// A lookup never echoes the address: the caller may be probing for who is registered.
const lookupOverrides = {
  ...identityReadOverrides,
  NotFound: { code: 'user.not_found', detail: 'User not found.' },
} as const

/**
 * FLIP's `/users/me`: the caller as the identity provider knows it, with the profile merged in.
 * @throws NotFound (the provider's "… is not registered."), Throttled, Transient, Internal
 */
export const getCurrentUser = async (deps: GetUserDeps, caller: Caller): Promise<UserSummary> => {
  const user = await readIdentity(() => deps.idp.getUserById(caller.id))
  return toUserSummary(user, await createProfilesRepository(deps.db).find(user.id))
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
    throw toAppError(error, lookupOverrides)
  }
}

/**
 * FLIP's `/users/{id}`: one user with roles, profile and administered trust.
 * @throws NotFound (the provider's "… is not registered."), Throttled, Transient, Internal
 */
export const getUser = async (deps: GetUserDeps, userId: string): Promise<UserView> => {
  const user = await readIdentity(() => deps.idp.getUserById(userId))
  const [view] = await toUserViews(deps.db, [user])
  return view!
}
