import { Type } from 'typebox'
import { EmailAddress } from '../../http/email-address.schema.js'

const Uuid = Type.String({ format: 'uuid' })
const NullableUuid = Type.Union([Uuid, Type.Null()])

/** FLIP's `IRegisterUser`. `trustId` and FLIP's python name `trust_id` are both accepted. */
export const RegisterUserBody = Type.Object(
  {
    email: EmailAddress(),
    name: Type.String({ minLength: 1, maxLength: 255 }),
    organisation: Type.String({ minLength: 1, maxLength: 255 }),
    roles: Type.Array(Uuid, { maxItems: 50 }),
    trustId: Type.Optional(NullableUuid),
    trust_id: Type.Optional(NullableUuid),
  },
  { additionalProperties: false },
)

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]+$' }),
  ),
})

/** FLIP's `IRegisterUserDto`: snake_case keys. */
export const RegisteredUser = Type.Object({
  user_id: Uuid,
  email: Type.String(),
  name: Type.String(),
  organisation: Type.String(),
  roles: Type.Array(Uuid),
  trust_id: NullableUuid,
  /** Ours, not FLIP's: the registration behind the answer (FLIP's UI ignores unknown keys). */
  registration_id: Uuid,
})

/** 202: the same body, with the registration the service is finishing in the background. */
export const AcceptedRegistration = Type.Object({
  user_id: NullableUuid,
  email: Type.String(),
  name: Type.String(),
  organisation: Type.String(),
  roles: Type.Array(Uuid),
  trust_id: NullableUuid,
  registration_id: Uuid,
  state: Type.String(),
})

export const RegistrationParams = Type.Object({ registrationId: Uuid })

export const RegistrationView = Type.Object({
  registration_id: Uuid,
  /** What the record drives: `register` (the step function), `identity` (phase 1), `delete`. */
  kind: Type.String(),
  state: Type.String(),
  email: Type.String(),
  name: Type.String(),
  organisation: Type.String(),
  roles: Type.Array(Uuid),
  trust_id: NullableUuid,
  user_id: NullableUuid,
  attempts: Type.Integer(),
  compensation_attempts: Type.Integer(),
  last_error: Type.Union([Type.String(), Type.Null()]),
  requested_by: Uuid,
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  events: Type.Array(
    Type.Object({
      at: Type.String({ format: 'date-time' }),
      from: Type.Union([Type.String(), Type.Null()]),
      to: Type.String(),
      actor: Type.String(),
      reason: Type.String(),
    }),
  ),
})
