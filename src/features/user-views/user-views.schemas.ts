import { type Static, Type } from 'typebox'

const Uuid = Type.String({ format: 'uuid' })

export const UserParams = Type.Object({ userId: Uuid })

/** FLIP's `IRole` in the users schema. */
export const RoleView = Type.Object({ id: Uuid, rolename: Type.String(), roledescription: Type.String() })

export const TrustRefView = Type.Union([
  Type.Object({ id: Uuid, code: Type.Union([Type.String(), Type.Null()]), name: Type.String() }),
  Type.Null(),
])

/** FLIP's `CognitoUser`, with the profile merged in. */
export const UserSummary = Type.Object({
  id: Uuid,
  email: Type.String(),
  name: Type.String(),
  organisation: Type.String(),
  isDisabled: Type.Boolean(),
})
export type UserSummary = Static<typeof UserSummary>

/** FLIP's `IUser`: a Trust Admin shows only the Trust Admin role, plus the trust it administers. */
export const UserView = Type.Object({
  ...UserSummary.properties,
  roles: Type.Array(RoleView),
  trustAdminOf: TrustRefView,
})
export type UserView = Static<typeof UserView>
