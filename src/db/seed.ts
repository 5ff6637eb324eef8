import { permissions } from '../domain/permissions.js'
import { seededRoles } from '../domain/roles.js'
import { createReferenceDataRepository } from '../repositories/reference-data-repository.js'
import type { Db } from './database.js'

/** Seeds FLIP's roles, permissions and grants with their fixed ids. Safe to run on every start. */
export const seed = async (db: Db): Promise<void> => {
  await db.transaction(async (tx) => {
    const referenceData = createReferenceDataRepository(tx)
    await referenceData.upsertPermissions(Object.entries(permissions).map(([name, id]) => ({ id, name })))
    await referenceData.upsertRoles(
      seededRoles.map(({ id, name, description }) => ({ id, name, description })),
    )
    await referenceData.grantPermissions(
      seededRoles.flatMap((role) =>
        role.permissions.map((name) => ({ roleId: role.id, permissionId: permissions[name] })),
      ),
    )
  })
}
