import type { Deps } from '../../src/container.js'
import { ADMIN_ROLE_ID, RESEARCHER_ROLE_ID, VIEWER_ROLE_ID } from '../../src/domain/roles.js'
import type { IdentityUser } from '../../src/identity/identity-provider.js'
import type { NewRegistration } from '../../src/repositories/registrations-repository.js'
import { createUserRolesRepository } from '../../src/repositories/user-roles-repository.js'

let sequence = 0

/** A unique address per call, so tests never collide on the email index. */
export const uniqueEmail = (prefix = 'user'): string =>
  `${prefix}.${Date.now().toString(36)}.${++sequence}@example.org`

/** A Researcher's registration intent for a unique address, as a repository test writes one directly. */
export const newRegistration = (
  requestedBy: string,
  fields: Partial<NewRegistration> & { prefix?: string } = {},
): NewRegistration => {
  const { prefix = 'registration', ...rest } = fields
  const email = uniqueEmail(prefix)
  return {
    email,
    emailNormalised: email,
    name: 'Registration Test',
    organisation: 'Example Org',
    roleIds: [RESEARCHER_ROLE_ID],
    trustId: null,
    requestedBy,
    idempotencyKey: null,
    requestHash: 'hash',
    ...rest,
  }
}

/** An identity in the IdP holding the given global roles (written directly, not through the API). */
export const createUser = async (
  deps: Pick<Deps, 'idp' | 'db'>,
  roleIds: readonly string[],
  email: string = uniqueEmail(),
): Promise<IdentityUser> => {
  const user = await deps.idp.createUser(email, { suppressInvite: true })
  await createUserRolesRepository(deps.db).replaceGlobal(user.id, roleIds)
  return user
}

export const createAdmin = (deps: Pick<Deps, 'idp' | 'db'>) =>
  createUser(deps, [ADMIN_ROLE_ID], uniqueEmail('admin'))
export const createViewer = (deps: Pick<Deps, 'idp' | 'db'>) =>
  createUser(deps, [VIEWER_ROLE_ID], uniqueEmail('viewer'))

/** A `local` access token for `user`, as the server and the CLI mint them. */
export const tokenFor = async (deps: Pick<Deps, 'localTokens'>, user: IdentityUser, ttlSeconds = 600) =>
  deps.localTokens!.issuer.issue(user, ttlSeconds)

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
