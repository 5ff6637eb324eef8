import { Type } from 'typebox'
import { EmailAddress } from '../../http/email-address.schema.js'

const FullName = Type.String({ minLength: 1, maxLength: 255 })
const Reason = Type.String({ minLength: 1, maxLength: 2000 })
export const AccessRequestStatus = Type.Union([
  Type.Literal('PENDING'),
  Type.Literal('ENROLLED'),
  Type.Literal('DISMISSED'),
])

/** FLIP's `IAccessRequest`: camelCase, with the snake_case names also accepted (pydantic aliases). */
export const AccessRequestBody = Type.Object(
  {
    email: EmailAddress(),
    fullName: Type.Optional(FullName),
    full_name: Type.Optional(FullName),
    reasonForAccess: Type.Optional(Reason),
    reason_for_access: Type.Optional(Reason),
  },
  { additionalProperties: false },
)

export const AccessRequestsQuerystring = Type.Object({
  status: Type.Optional(AccessRequestStatus),
  pageNumber: Type.Optional(Type.String({ maxLength: 20 })),
  pageSize: Type.Optional(Type.String({ maxLength: 20 })),
})

export const AccessRequestParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

/** FLIP's `IUpdateAccessRequestStatus`. */
export const UpdateAccessRequestBody = Type.Object(
  { status: AccessRequestStatus },
  { additionalProperties: false },
)

/** FLIP's `IAccessRequestRecord`. */
export const AccessRequestRecord = Type.Object({
  id: Type.String({ format: 'uuid' }),
  email: Type.String(),
  fullName: Type.String(),
  reasonForAccess: Type.String(),
  status: AccessRequestStatus,
  emailNotified: Type.Boolean(),
  handledByUserId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
})

export const AccessRequestPage = Type.Object({
  page: Type.Integer(),
  pageSize: Type.Integer(),
  totalPages: Type.Integer(),
  totalRecords: Type.Integer(),
  data: Type.Array(AccessRequestRecord),
})

export const NoContent = Type.Null({ description: 'recorded' })
