import type { Deps } from '../../container.js'
import { type RegistrationState, registrationStates } from '../../domain/registration-state.js'
import {
  createRegistrationSearchRepository,
  type RegistrationFilter,
} from '../../repositories/registration-search-repository.js'
import type { Registration } from '../../repositories/registrations-repository.js'
import { registrationView } from '../register-user/registration-outcome.js'

/** One row of the operator's list: the registration view without its history, plus the error code. */
export const registrationRow = (registration: Registration) => {
  const { events: _events, ...view } = registrationView(registration, [])
  return { ...view, error_code: registration.errorCode }
}

export type RegistrationRow = ReturnType<typeof registrationRow>

export interface RegistrationPage {
  page: number
  pageSize: number
  totalPages: number
  totalRecords: number
  data: RegistrationRow[]
  /** Every state, over the filters other than the state filter. */
  counts: Record<RegistrationState, number>
}

/** Every state's count, 0 included, from the database's per-state totals. */
export const everyStateCount = (byState: Map<string, number>): Record<RegistrationState, number> =>
  Object.fromEntries(registrationStates.map((state) => [state, byState.get(state) ?? 0])) as Record<
    RegistrationState,
    number
  >

/**
 * `GET /api/step/users`: registrations newest first, filtered and paged with FLIP's envelope,
 * and the per-state counts over the other filters, so a console can show every state's count
 * beside the one selected. Reads only the database.
 *
 * @throws only database failures (500 / 503 by the error handler)
 */
export const searchRegistrations = async (
  deps: Pick<Deps, 'db'>,
  query: RegistrationFilter & { page: number; pageSize: number },
): Promise<RegistrationPage> => {
  const search = createRegistrationSearchRepository(deps.db)
  const { page, pageSize, ...filter } = query
  const [{ rows, total }, byState] = await Promise.all([
    search.page(filter, { limit: pageSize, offset: (page - 1) * pageSize }),
    search.countByState({
      ...(filter.email !== undefined ? { email: filter.email } : {}),
      ...(filter.since !== undefined ? { since: filter.since } : {}),
    }),
  ])
  return {
    page,
    pageSize,
    totalPages: Math.ceil(total / pageSize),
    totalRecords: total,
    data: rows.map(registrationRow),
    counts: everyStateCount(byState),
  }
}
