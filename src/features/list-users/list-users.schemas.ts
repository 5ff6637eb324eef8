import { Type } from 'typebox'
import { UserView } from '../user-views/user-views.schemas.js'

/** Paging values stay strings here: FLIP falls back to the default on a bad one instead of failing. */
export const ListUsersQuerystring = Type.Object(
  {
    pageNumber: Type.Optional(Type.String({ maxLength: 20 })),
    pageSize: Type.Optional(Type.String({ maxLength: 20 })),
    search: Type.Optional(Type.String({ maxLength: 255 })),
  },
  // Unknown query parameters are ignored, as FLIP does (a UI may add cache busters).
)

export const UserPageResponse = Type.Object({
  page: Type.Integer(),
  pageSize: Type.Integer(),
  totalPages: Type.Integer(),
  totalRecords: Type.Integer(),
  data: Type.Array(UserView),
})

/** Beyond this a page is clamped: one request must not join the whole directory at once. */
export const MAX_PAGE_SIZE = 500

/** FLIP's `get_paging_details`: a missing, non-numeric or non-positive value becomes the default. */
export const pagingValue = (raw: string | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER) => {
  const value = raw !== undefined && /^\s*[0-9]+\s*$/.test(raw) ? Number(raw) : Number.NaN
  return Number.isSafeInteger(value) && value > 0 ? Math.min(value, max) : fallback
}
