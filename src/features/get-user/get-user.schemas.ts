import { Type } from 'typebox'
import { EmailAddress } from '../../http/email-address.schema.js'

export const LookupQuerystring = Type.Object({
  email: EmailAddress(),
})

/** FLIP's `ProjectMemberLookup`: name and organisation deliberately absent. */
export const ProjectMemberLookup = Type.Object(
  { id: Type.String({ format: 'uuid' }), email: Type.String(), isDisabled: Type.Boolean() },
  { additionalProperties: false },
)
