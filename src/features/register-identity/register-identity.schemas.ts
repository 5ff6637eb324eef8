import { Type } from 'typebox'

const Uuid = Type.String({ format: 'uuid' })

/**
 * FLIP's `IUserResponse` (status 200): every field of the request plus the new user's id.
 * Unlike the step function's DTO, the keys are camelCase (FLIP serialises it by alias).
 */
export const RegisteredIdentity = Type.Object({
  email: Type.String(),
  name: Type.String(),
  organisation: Type.String(),
  roles: Type.Array(Uuid),
  trustId: Type.Union([Uuid, Type.Null()]),
  userId: Uuid,
})
