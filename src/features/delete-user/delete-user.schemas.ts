import { Type } from 'typebox'

export const UserParams = Type.Object({ userId: Type.String({ format: 'uuid' }) })

/** FLIP answers a deletion with an empty object. */
export const Deleted = Type.Object({}, { additionalProperties: false })
