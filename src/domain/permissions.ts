/** FLIP's permissions with their fixed ids (SPEC §5). The name is the enum member name. */
export const permissions = {
  CAN_ACCESS_ADMIN_PANEL: '6d1da2d7-e510-488c-9085-8608cd817256',
  CAN_APPROVE_PROJECTS: 'e2703e64-0186-4bc1-ac40-ba4ef63255ec',
  CAN_CREATE_PROJECTS: '1140ab45-fefb-4a3b-b350-90dd84f9be4b',
  CAN_DELETE_ANY_PROJECT: 'fa2f251f-9d4d-4ba7-8dd1-becd9230dac0',
  CAN_MANAGE_DEPLOYMENTS: '4c9769ed-a939-4c73-b320-139f574368c3',
  CAN_MANAGE_PROJECTS: 'fc2f242e-848f-4983-ab14-fd3c5604535d',
  CAN_MANAGE_SITE_BANNER: '5a6c4185-6c90-4b26-bc87-f9436e2042b8',
  CAN_MANAGE_USERS: 'f6dbd04e-d1ef-4cb7-84c2-c29fb35cf83b',
  CAN_UNSTAGE_PROJECTS: 'a695be07-23c7-448d-a5df-36c3f63ca29d',
  CAN_APPROVE_FOR_TRUST: '3f9c5d21-7a64-4f0e-9b1d-2c8e6a4b7f35',
  CAN_MANAGE_TRUST_GOVERNANCE: 'b7e41a68-0d2f-4c95-8e37-5a1b9c6d4e82',
} as const

export type PermissionName = keyof typeof permissions

/** Held only at a trust (a `user_role` row with a `trust_id`); never granted globally. */
export const trustScopedPermissions: readonly PermissionName[] = [
  'CAN_APPROVE_FOR_TRUST',
  'CAN_MANAGE_TRUST_GOVERNANCE',
]

export const permissionNames = Object.keys(permissions) as PermissionName[]

/** `CAN_MANAGE_USERS` → `CanManageUsers`, the form FLIP's web UI checks. */
export const toPascalCase = (name: string): string =>
  name
    .toLowerCase()
    .split('_')
    .filter((part) => part.length > 0)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('')
