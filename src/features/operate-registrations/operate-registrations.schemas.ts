import { Type } from 'typebox'
import { registrationStates } from '../../domain/registration-state.js'
import { RegistrationView } from '../register-user/register-user.schemas.js'

const State = Type.Union(registrationStates.map((state) => Type.Literal(state)))

/**
 * `state` may repeat (`?state=a&state=b`, an array) or come once (a string). Paging values stay
 * strings: FLIP falls back to the default on a bad one instead of failing.
 */
export const ListRegistrationsQuerystring = Type.Object({
  state: Type.Optional(Type.Union([State, Type.Array(State, { maxItems: registrationStates.length * 2 })])),
  email: Type.Optional(Type.String({ maxLength: 254 })),
  since: Type.Optional(Type.String({ format: 'date-time' })),
  pageNumber: Type.Optional(Type.String({ maxLength: 20 })),
  pageSize: Type.Optional(Type.String({ maxLength: 20 })),
})

const { events: _events, ...rowFields } = RegistrationView.properties

export const RegistrationRowView = Type.Object({
  ...rowFields,
  error_code: Type.Union([Type.String(), Type.Null()]),
})

export const RegistrationPageResponse = Type.Object({
  page: Type.Integer(),
  pageSize: Type.Integer(),
  totalPages: Type.Integer(),
  totalRecords: Type.Integer(),
  data: Type.Array(RegistrationRowView),
  counts: Type.Object(Object.fromEntries(registrationStates.map((state) => [state, Type.Integer()]))),
})

export const OperatorOutcomeResponse = Type.Object({
  registration: RegistrationView,
  advanced: Type.Boolean(),
  queued: Type.Boolean(),
})
