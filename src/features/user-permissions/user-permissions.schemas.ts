import { Type } from 'typebox'
import { TrustRefView } from '../user-views/user-views.schemas.js'

/** FLIP's `UserPermissionsResponse`. */
export const UserPermissionsResponse = Type.Object({
  permissions: Type.Array(Type.String()),
  trustAdminOf: TrustRefView,
})
