import { Type } from 'typebox'

export const RoleView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  rolename: Type.String(),
  roledescription: Type.String(),
})

/** FLIP's `IRolesResponse`: the keys are `rolename` and `roledescription`. */
export const RolesResponse = Type.Object({ roles: Type.Array(RoleView) })
