import { type Static, Type } from 'typebox'

const Text = Type.String({ minLength: 1, maxLength: 255 })

/** FLIP's `UpdateUser`. A null is the same as leaving the field out (pydantic's Optional). */
export const UpdateUserBody = Type.Object(
  {
    disabled: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    name: Type.Optional(Type.Union([Text, Type.Null()])),
    organisation: Type.Optional(Type.Union([Text, Type.Null()])),
  },
  { additionalProperties: false },
)
export type UpdateUserBody = Static<typeof UpdateUserBody>

/** FLIP's `UpdateUserResponse`: only the fields that were supplied. */
export const UpdateUserResponse = Type.Object({
  disabled: Type.Optional(Type.Boolean()),
  name: Type.Optional(Type.String()),
  organisation: Type.Optional(Type.String()),
})
export type UpdateUserResponse = Static<typeof UpdateUserResponse>
