import type { Db } from '../../db/database.js'
import { TRUST_ADMIN_ROLE_ID } from '../../domain/roles.js'
import type { AppError } from '../../errors/app-error.js'
import { type BridgeOverrides, toAppError } from '../../identity/identity-error-bridge.js'
import type { IdentityUser } from '../../identity/identity-provider.js'
import type { Profile } from '../../repositories/profiles-repository.js'
import { createRolesRepository } from '../../repositories/roles-repository.js'
import { createUserDirectoryRepository } from '../../repositories/user-directory-repository.js'
import type { UserSummary, UserView } from './user-views.schemas.js'

/** FLIP's `apply_user_profile`: name and organisation from the profile, when there is one. */
export const toUserSummary = (user: IdentityUser, profile: Profile | undefined): UserSummary => ({
  id: user.id,
  email: user.email,
  name: profile?.name ?? '',
  organisation: profile?.organisation ?? '',
  isDisabled: !user.enabled,
})

/**
 * Identity-provider users merged with their global roles, profile and administered trust, in
 * three queries whatever the number of users.
 */
export const toUserViews = async (db: Db, users: readonly IdentityUser[]): Promise<UserView[]> => {
  const directory = createUserDirectoryRepository(db)
  const ids = users.map((user) => user.id)
  const [rolesOf, trustOf, profiles] = await Promise.all([
    directory.globalRolesOf(ids),
    directory.trustAdminOf(ids),
    directory.profilesOf(ids),
  ])
  const trustAdminRole =
    trustOf.size > 0
      ? (await createRolesRepository(db).list()).find((role) => role.id === TRUST_ADMIN_ROLE_ID)
      : undefined
  return users.map((user) => {
    const trust = trustOf.get(user.id) ?? null
    // A Trust Admin's global Researcher grant is an implementation detail FLIP does not show.
    const held = trust && trustAdminRole ? [trustAdminRole] : (rolesOf.get(user.id) ?? [])
    return {
      ...toUserSummary(user, profiles.get(user.id)),
      roles: held.map((role) => ({ id: role.id, rolename: role.name, roledescription: role.description })),
      trustAdminOf: trust,
    }
  })
}

const providerMessage = (error: Error) => error.message

/**
 * FLIP's answers to a failed identity-provider read, over the bridge's rows: NotFound keeps the
 * provider's "… is not registered." (FLIP lets the 404 through) and any other definitive provider
 * error keeps its generic, client-safe message as a 500. Throttling, outages and InvalidInput
 * keep the bridge's 429 / 503 / 422.
 */
export const identityReadOverrides = {
  NotFound: { code: 'user.not_found', detail: providerMessage },
  AlreadyExists: { code: 'idp.failed', detail: providerMessage },
  ProviderError: { code: 'idp.failed', detail: providerMessage },
} as const satisfies BridgeOverrides

/** The client-facing error for a failed identity-provider read (see `identityReadOverrides`). */
export const identityReadFailure = (error: unknown): AppError => toAppError(error, identityReadOverrides)
