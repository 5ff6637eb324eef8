import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { silentLog } from '../../test/support/test-app.js'
import { databaseTargets, openTestPglite, useTestDatabase } from '../../test/support/test-database.js'
import type { Db } from '../db/database.js'
import { trust, userRole } from '../db/schema/index.js'
import { permissionNames, trustScopedPermissions } from '../domain/permissions.js'
import { ADMIN_ROLE_ID, RESEARCHER_ROLE_ID, TRUST_ADMIN_ROLE_ID, VIEWER_ROLE_ID } from '../domain/roles.js'
import { createPermissionChecker } from './permission-checker.js'

const globalPermissions = permissionNames.filter((name) => !trustScopedPermissions.includes(name))

/** A user (there is no users table: a grant's `user_id` is the IdP `sub`) holding these global roles. */
const userWithGlobalRoles = async (db: Db, roleIds: readonly string[]): Promise<string> => {
  const userId = randomUUID()
  if (roleIds.length > 0) await db.insert(userRole).values(roleIds.map((roleId) => ({ userId, roleId })))
  return userId
}

const createTrust = async (db: Db, name: string): Promise<string> => {
  const [row] = await db.insert(trust).values({ name }).returning({ id: trust.id })
  return row!.id
}

const grantAtTrust = async (db: Db, userId: string, roleId: string, trustId: string) => {
  await db.insert(userRole).values({ userId, roleId, trustId })
}

describe.each(databaseTargets())('permission checks on $kind', (target) => {
  describe.skipIf(!target.available)('', () => {
    const database = useTestDatabase(target)
    const checker = () => createPermissionChecker({ db: database().db, log: silentLog })

    it('grants every global permission to an Admin', async () => {
      const admin = await userWithGlobalRoles(database().db, [ADMIN_ROLE_ID])
      await expect(checker().hasAll(admin, globalPermissions)).resolves.toBe(true)
      await expect(checker().hasAll(admin, ['CAN_MANAGE_USERS'])).resolves.toBe(true)
    })

    it('denies the AND check when one permission is missing', async () => {
      const researcher = await userWithGlobalRoles(database().db, [RESEARCHER_ROLE_ID])
      await expect(checker().hasAll(researcher, ['CAN_CREATE_PROJECTS', 'CAN_MANAGE_USERS'])).resolves.toBe(
        false,
      )
    })

    it('allows the OR check when one of several permissions is held', async () => {
      const researcher = await userWithGlobalRoles(database().db, [RESEARCHER_ROLE_ID])
      await expect(checker().hasAny(researcher, ['CAN_MANAGE_USERS', 'CAN_CREATE_PROJECTS'])).resolves.toBe(
        true,
      )
    })

    it('denies the OR check when none of the permissions is held', async () => {
      const viewer = await userWithGlobalRoles(database().db, [VIEWER_ROLE_ID])
      await expect(checker().hasAny(viewer, ['CAN_MANAGE_USERS', 'CAN_CREATE_PROJECTS'])).resolves.toBe(false)
    })

    it('has the AND and OR checks disagree on a partially privileged Researcher', async () => {
      const researcher = await userWithGlobalRoles(database().db, [RESEARCHER_ROLE_ID])
      const mixed = ['CAN_CREATE_PROJECTS', 'CAN_APPROVE_PROJECTS'] as const
      await expect(checker().hasAll(researcher, ['CAN_CREATE_PROJECTS'])).resolves.toBe(true)
      await expect(checker().hasAll(researcher, ['CAN_APPROVE_PROJECTS'])).resolves.toBe(false)
      await expect(checker().hasAll(researcher, mixed)).resolves.toBe(false)
      await expect(checker().hasAny(researcher, mixed)).resolves.toBe(true)
    })

    it('combines permissions across several global roles', async () => {
      const both = await userWithGlobalRoles(database().db, [RESEARCHER_ROLE_ID, VIEWER_ROLE_ID])
      await expect(checker().hasAll(both, ['CAN_CREATE_PROJECTS'])).resolves.toBe(true)
    })

    it('denies an empty list of required permissions, whatever the user holds', async () => {
      const admin = await userWithGlobalRoles(database().db, [ADMIN_ROLE_ID])
      const trustId = await createTrust(database().db, 'Trust A')
      await grantAtTrust(database().db, admin, TRUST_ADMIN_ROLE_ID, trustId)
      await expect(checker().hasAll(admin, [])).resolves.toBe(false)
      await expect(checker().hasAny(admin, [])).resolves.toBe(false)
      await expect(checker().hasAllAtTrust(admin, [], trustId)).resolves.toBe(false)
    })

    it('denies a user who holds no roles at all', async () => {
      const nobody = randomUUID()
      await expect(checker().hasAll(nobody, ['CAN_CREATE_PROJECTS'])).resolves.toBe(false)
      await expect(checker().hasAny(nobody, ['CAN_CREATE_PROJECTS'])).resolves.toBe(false)
    })

    it('does not count grants held only at a trust towards the global checks', async () => {
      const db = database().db
      const trustId = await createTrust(db, 'Trust A')
      const userId = randomUUID()
      await grantAtTrust(db, userId, ADMIN_ROLE_ID, trustId)
      await grantAtTrust(db, userId, TRUST_ADMIN_ROLE_ID, trustId)
      await expect(checker().hasAll(userId, ['CAN_MANAGE_USERS'])).resolves.toBe(false)
      await expect(checker().hasAny(userId, ['CAN_MANAGE_USERS', 'CAN_CREATE_PROJECTS'])).resolves.toBe(false)
      await expect(checker().hasAll(userId, ['CAN_APPROVE_FOR_TRUST'])).resolves.toBe(false)
    })

    it('never grants a trust-scoped permission through the global check, even to an Admin', async () => {
      const admin = await userWithGlobalRoles(database().db, [ADMIN_ROLE_ID])
      await expect(checker().hasAll(admin, permissionNames)).resolves.toBe(false)
      for (const name of trustScopedPermissions) {
        await expect(checker().hasAll(admin, [name])).resolves.toBe(false)
      }
    })

    it('allows a Trust Admin at their trust and only there', async () => {
      const db = database().db
      const trustA = await createTrust(db, 'Trust A')
      const trustB = await createTrust(db, 'Trust B')
      const userId = randomUUID()
      await grantAtTrust(db, userId, TRUST_ADMIN_ROLE_ID, trustA)
      await expect(checker().hasAllAtTrust(userId, trustScopedPermissions, trustA)).resolves.toBe(true)
      await expect(checker().hasAllAtTrust(userId, ['CAN_APPROVE_FOR_TRUST'], trustA)).resolves.toBe(true)
      await expect(checker().hasAllAtTrust(userId, trustScopedPermissions, trustB)).resolves.toBe(false)
    })

    it('does not let a global Admin grant satisfy a trust check', async () => {
      const db = database().db
      const trustId = await createTrust(db, 'Trust A')
      const admin = await userWithGlobalRoles(db, [ADMIN_ROLE_ID, TRUST_ADMIN_ROLE_ID])
      await expect(checker().hasAllAtTrust(admin, ['CAN_APPROVE_FOR_TRUST'], trustId)).resolves.toBe(false)
    })

    it('refuses to answer a trust check for a permission that is not trust-scoped', async () => {
      const db = database().db
      const trustId = await createTrust(db, 'Trust A')
      const userId = randomUUID()
      await grantAtTrust(db, userId, ADMIN_ROLE_ID, trustId)
      await grantAtTrust(db, userId, TRUST_ADMIN_ROLE_ID, trustId)
      await expect(checker().hasAllAtTrust(userId, ['CAN_MANAGE_USERS'], trustId)).resolves.toBe(false)
      await expect(
        checker().hasAllAtTrust(userId, ['CAN_APPROVE_FOR_TRUST', 'CAN_MANAGE_USERS'], trustId),
      ).resolves.toBe(false)
    })
  })
})

describe('permission checks when the database fails', () => {
  it('denies all three checks and logs the failure', async () => {
    const broken = await openTestPglite()
    await broken.close()
    const logged: { msg?: string }[] = []
    const log = pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line)) })
    const checker = createPermissionChecker({ db: broken.db, log })
    const userId = randomUUID()

    await expect(checker.hasAll(userId, ['CAN_MANAGE_USERS'])).resolves.toBe(false)
    await expect(checker.hasAny(userId, ['CAN_MANAGE_USERS'])).resolves.toBe(false)
    await expect(checker.hasAllAtTrust(userId, ['CAN_APPROVE_FOR_TRUST'], randomUUID())).resolves.toBe(false)
    expect(logged.map((entry) => entry.msg)).toEqual([
      'permission check failed; denying',
      'permission check failed; denying',
      'permission check failed; denying',
    ])
  })
})
