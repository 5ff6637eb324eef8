import type { Caller } from '../../auth/token-verifier.js'
import type { Deps } from '../../container.js'
import { appError } from '../../errors/error-catalogue.js'
import { toAppError } from '../../identity/identity-error-bridge.js'
import {
  type AccessRequestRow,
  type AccessRequestStatus,
  createAccessRequestsRepository,
} from '../../repositories/access-requests-repository.js'
import type { AccessRequestNotifier } from './access-request-notifier.js'

export interface AccessRequestRecord {
  id: string
  email: string
  fullName: string
  reasonForAccess: string
  status: AccessRequestStatus
  emailNotified: boolean
  handledByUserId: string | null
  createdAt: string
  updatedAt: string
}

const toRecord = (row: AccessRequestRow): AccessRequestRecord => ({
  id: row.id,
  email: row.email,
  fullName: row.fullName,
  reasonForAccess: row.reasonForAccess,
  status: row.status as AccessRequestStatus,
  emailNotified: row.emailNotified,
  handledByUserId: row.handledByUserId,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
})

/**
 * FLIP's `request_access`: store the request (status PENDING), then notify the administrators,
 * best effort: a notification failure is logged and the request stays recorded with
 * `emailNotified` false.
 *
 * @throws Transient (database unavailable), Internal (`Failed to record access request…`)
 */
export const submitAccessRequest = async (
  deps: Pick<Deps, 'db' | 'log'> & { notifier: AccessRequestNotifier },
  request: { email: string; fullName: string; reasonForAccess: string },
): Promise<void> => {
  const requests = createAccessRequestsRepository(deps.db)
  let row: AccessRequestRow
  try {
    row = await requests.insert(request)
  } catch (error) {
    // FLIP's own 500 detail for a request it could not store; an outage keeps the bridge's 503.
    throw toAppError(error, {
      otherwise: {
        code: 'access_request.record_failed',
        detail: 'Failed to record access request. Please try again later.',
      },
    })
  }
  try {
    await deps.notifier.notify({
      id: row.id,
      email: row.email,
      name: row.fullName,
      purpose: row.reasonForAccess,
    })
    await requests.markNotified(row.id)
  } catch (error) {
    deps.log.error({ err: error, accessRequestId: row.id }, 'access request recorded but not notified')
  }
}

/**
 * Newest first with the real total.
 * @throws Transient, Internal (database failures, left to the error handler's bridge)
 */
export const listAccessRequests = async (
  deps: Pick<Deps, 'db'>,
  query: { status: AccessRequestStatus | undefined; page: number; pageSize: number },
) => {
  const { rows, total } = await createAccessRequestsRepository(deps.db).page({
    status: query.status,
    limit: query.pageSize,
    offset: (query.page - 1) * query.pageSize,
  })
  return {
    page: query.page,
    pageSize: query.pageSize,
    totalPages: Math.ceil(total / query.pageSize),
    totalRecords: total,
    data: rows.map(toRecord),
  }
}

/**
 * Triage: set the status and record who handled it.
 * @throws NotFound (`Access request not found`), Transient, Internal (database failures, left
 *   to the error handler's bridge)
 */
export const updateAccessRequest = async (
  deps: Pick<Deps, 'db'>,
  id: string,
  status: AccessRequestStatus,
  caller: Caller,
): Promise<AccessRequestRecord> => {
  const row = await createAccessRequestsRepository(deps.db).setStatus(id, status, caller.id)
  if (!row) throw appError('access_request.not_found', 'Access request not found')
  return toRecord(row)
}
