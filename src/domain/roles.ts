import { type PermissionName, permissionNames, trustScopedPermissions } from './permissions.js'

export interface RoleDefinition {
  id: string
  name: string
  description: string
  permissions: readonly PermissionName[]
}

export const ADMIN_ROLE_ID = '64d3145b-034c-4328-b637-8eb54313b7c5'
export const RESEARCHER_ROLE_ID = '10b64ed0-bc90-4c01-9cc3-933c704905c1'
export const VIEWER_ROLE_ID = 'cdee79c9-a5e1-4b9e-a315-1ec2f3d29efe'
export const TRUST_ADMIN_ROLE_ID = '8a3d6f14-9b52-4e07-a6c8-1d4f7b2e9053'

/** FLIP's seeded roles (SPEC §5), with their fixed ids and permission grants. */
export const seededRoles: readonly RoleDefinition[] = [
  {
    id: ADMIN_ROLE_ID,
    name: 'Admin',
    description: 'A role for administrators.',
    permissions: permissionNames.filter((name) => !trustScopedPermissions.includes(name)),
  },
  {
    id: RESEARCHER_ROLE_ID,
    name: 'Researcher',
    description: 'A researcher role, used as the default role with minimal permissions.',
    // CAN_MANAGE_PROJECTS stays Admin-only: it bypasses per-project checks (FLIP #358).
    permissions: ['CAN_CREATE_PROJECTS'],
  },
  {
    id: VIEWER_ROLE_ID,
    name: 'Viewer',
    description: 'Read-only access to assigned projects. Cannot create, edit, or delete resources.',
    permissions: [],
  },
  {
    id: TRUST_ADMIN_ROLE_ID,
    name: 'Trust Admin',
    description: 'Administers one trust: approves its projects and manages its governance.',
    permissions: trustScopedPermissions,
  },
]
