import { Type } from 'typebox'

const Uuid = Type.String({ format: 'uuid' })
const NullableUuid = Type.Union([Uuid, Type.Null()])

export const UserParams = Type.Object({ userId: Uuid })

/** FLIP's `IRoles`. `trustId` and FLIP's python name `trust_id` are both accepted. */
export const SetUserRolesBody = Type.Object(
  {
    roles: Type.Array(Uuid, { maxItems: 50 }),
    trustId: Type.Optional(NullableUuid),
    trust_id: Type.Optional(NullableUuid),
  },
  { additionalProperties: false },
)

/** The request echoed back, as FLIP does. */
export const UserRoles = Type.Object({ roles: Type.Array(Uuid), trustId: NullableUuid })
