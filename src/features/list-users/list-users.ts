import type { Deps } from '../../container.js'
import { compareCodePoints } from '../../domain/code-point-order.js'
import type { IdentityUser } from '../../identity/identity-provider.js'
import { createUserDirectoryRepository } from '../../repositories/user-directory-repository.js'
import { identityReadFailure, toUserViews } from '../user-views/user-views.js'
import type { UserView } from '../user-views/user-views.schemas.js'

export type ListUsersDeps = Pick<Deps, 'db' | 'idp'>

export interface ListUsersQuery {
  page: number
  pageSize: number
  search: string
}

export interface UserPage {
  page: number
  pageSize: number
  totalPages: number
  totalRecords: number
  data: UserView[]
}

/** The whole directory, page by page at the provider's largest page size. */
const walkDirectory = async (idp: ListUsersDeps['idp']): Promise<IdentityUser[]> => {
  const users: IdentityUser[] = []
  let nextToken: string | undefined
  do {
    const page = await idp.listUsers(nextToken === undefined ? {} : { nextToken })
    users.push(...page.users)
    nextToken = page.nextToken
  } while (nextToken !== undefined)
  return users
}

/**
 * FLIP's `get_users`: identity-provider users merged with their global roles and profile,
 * filtered case-insensitively on email, name and organisation, sorted by email in code-point
 * order, then paged.
 * Unlike FLIP, `totalRecords` is the filtered total, not the size of the page.
 *
 * Neither Cognito nor Keycloak can sort by email or search profile fields, so the directory is
 * read whole (one ListUsers call per 60 users, on the list quota); only the returned page is
 * joined to roles and profiles. docs/users-listing.md has the figures.
 *
 * @throws Throttled, Transient (429 / 503), Internal (`Internal server error`, or the provider's
 *   generic message)
 */
export const listUsers = async (deps: ListUsersDeps, query: ListUsersQuery): Promise<UserPage> => {
  let users: IdentityUser[]
  try {
    users = await walkDirectory(deps.idp)
  } catch (error) {
    // FLIP's read answers (the provider's generic message as a 500); the database reads below
    // need no catch, the error handler's bridge answers them.
    throw identityReadFailure(error)
  }
  const needle = query.search.trim().toLowerCase()
  if (needle !== '') {
    const byProfile = await createUserDirectoryRepository(deps.db).profileIdsMatching(needle)
    users = users.filter((user) => user.email.toLowerCase().includes(needle) || byProfile.has(user.id))
  }
  // Code-point order, as FLIP's Python `sorted(users, key=email)`, so each page holds the users
  // FLIP's would: no locale collation ('p10_' before 'p1_', 'lst-x' before 'lst_x').
  users.sort((a, b) => compareCodePoints(a.email, b.email) || compareCodePoints(a.id, b.id))
  const offset = (query.page - 1) * query.pageSize
  const data = await toUserViews(deps.db, users.slice(offset, offset + query.pageSize))
  return {
    page: query.page,
    pageSize: query.pageSize,
    totalPages: Math.ceil(users.length / query.pageSize),
    totalRecords: users.length,
    data,
  }
}
