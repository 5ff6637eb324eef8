import { Type } from 'typebox'

export const UserParams = Type.Object({ userId: Type.String({ format: 'uuid' }) })

/** FLIP answers a deletion with an empty object. */
export const Deleted = Type.Object({}, { additionalProperties: false })

/** 202: the database side is done; the IdP user is being deleted in the background. */
export const DeletionAccepted = Type.Object({
  deletion_id: Type.String({ format: 'uuid' }),
  state: Type.String(),
})

export const DeletionParams = Type.Object({ deletionId: Type.String({ format: 'uuid' }) })
