import type { Deps } from '../../container.js'
import { createRolesRepository, type Role } from '../../repositories/roles-repository.js'

/** Every role the platform knows, ordered by name. @throws nothing but database failures */
export const listRoles = async (deps: Pick<Deps, 'db'>): Promise<Role[]> =>
  createRolesRepository(deps.db).list()
