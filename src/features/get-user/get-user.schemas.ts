import { Type } from 'typebox'

export const LookupQuerystring = Type.Object({
  email: Type.String({ format: 'email', maxLength: 320 }),
})

/** FLIP's `ProjectMemberLookup`: name and organisation deliberately absent. */
export const ProjectMemberLookup = Type.Object(
  { id: Type.String({ format: 'uuid' }), email: Type.String(), isDisabled: Type.Boolean() },
  { additionalProperties: false },
)
