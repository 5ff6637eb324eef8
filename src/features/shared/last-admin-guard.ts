import type { Db } from '../../db/database.js'
import { appError } from '../../errors/error-catalogue.js'
import { createAdministratorsRepository } from '../../repositories/administrators-repository.js'

/**
 * The last enabled holder of the global Admin role stays (SPEC §3): call it first in the
 * transaction that deletes, disables or demotes `userId`, before anything is written there or at
 * the identity provider. It takes the administrators' lock, so of two admins removing each other
 * at once the second waits, then sees the first's change and is refused: the database decides.
 *
 * @throws Conflict (`Cannot remove the last administrator.`) when `userId` is an enabled
 *   administrator and no other enabled administrator remains
 */
export const refuseRemovingLastAdmin = async (tx: Db, userId: string): Promise<void> => {
  const administrators = createAdministratorsRepository(tx)
  await administrators.lock()
  const enabled = await administrators.enabledAdminIds()
  if (enabled.includes(userId) && enabled.length === 1)
    throw appError('user.last_admin', 'Cannot remove the last administrator.')
}
