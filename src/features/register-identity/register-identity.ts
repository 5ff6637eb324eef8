import type { Caller } from '../../auth/token-verifier.js'
import { normaliseEmail } from '../../domain/email.js'
import type { AppError } from '../../errors/app-error.js'
import { appError, type ErrorCode, isErrorCode } from '../../errors/error-catalogue.js'
import { identityErrorBridge } from '../../identity/identity-error-bridge.js'
import type { Registration } from '../../repositories/registrations-repository.js'
import {
  advanceInline,
  type RecordDeps,
  recordingFailure,
  recordToAdvance,
} from '../register-user/record-and-advance.js'
import { recordLocation } from '../register-user/record-location.js'
import { resolveRoleGrants } from '../shared/resolve-role-grants.js'

export interface RegisterIdentityInput {
  email: string
  name: string
  organisation: string
  roles: string[]
  trustId: string | null
}

export interface RegisteredIdentity extends RegisterIdentityInput {
  userId: string
}

export type RegisterIdentityDeps = RecordDeps

/** The bridge's client-facing detail for a code a waiting record carries (idp.throttled, …). */
const detailOf = (code: ErrorCode): string => {
  const row = Object.values(identityErrorBridge).find((candidate) => candidate.code === code)
  return typeof row?.detail === 'string'
    ? row.detail
    : 'The service is temporarily unavailable; please try again.'
}

const about = (record: Registration, retryable: boolean) => ({
  extensions: { registrationId: record.id, state: record.state, retryable },
  headers: { Location: recordLocation(record) },
})

/**
 * FLIP's answers for a phase-1 record that did not complete inline. Failed: FLIP's create errors
 * (a create that did not take effect, Throttled or Unavailable, fails at once: 429 / 503, and a
 * retry is a fresh request). Still workable (an Ambiguous create, the database failing after the
 * IdP user exists): that error (503), with a `Location` to the record the service finishes in the
 * background (a retry meanwhile answers 409 "in progress" with the same `Location`). Undone or
 * being undone: FLIP's "Failed to register user" answers.
 */
const failureOf = (record: Registration): AppError => {
  const recorded = record.errorCode !== null && isErrorCode(record.errorCode) ? record.errorCode : undefined
  switch (record.state) {
    case 'pending':
    case 'identity_created': {
      const code = recorded ?? 'idp.unavailable'
      return appError(code, detailOf(code), about(record, true))
    }
    case 'failed': {
      const code = recorded ?? 'user.create_failed'
      // FLIP's `register_user` answers an exception that is not the provider's generically.
      if (code === 'user.register_failed')
        return appError('internal.unexpected', 'Internal server error', about(record, false))
      return appError(code, record.errorDetail ?? 'Failed to create user', {
        ...about(record, code === 'idp.throttled' || code === 'idp.unavailable'),
        // The record keeps no provider delay; a second is what the pacing waits at least.
        ...(code === 'idp.throttled' ? { retryAfterSeconds: 1 } : {}),
      })
    }
    case 'rolled_back':
      return appError(
        'user.register_failed',
        'Failed to register user. Please try again.',
        about(record, false),
      )
    default:
      return appError(
        'user.register_rollback_failed',
        'Failed to register user; rollback also failed. Manual cleanup of the identity-provider user required.',
        about(record, false),
      )
  }
}

/**
 * FLIP's `register_user`, phase 1 alone: create the IdP user, then its profile and the audit row
 * "Registered user" in one transaction. No role grants are written. Roles (and the Trust Admin
 * rules) are checked before anything is written, so a bad request creates nothing.
 *
 * Unlike FLIP it is durable: the intent is recorded (a registration of kind `identity`) before
 * the IdP is called, and the saga's steps drive it, so a crash or a failure between the IdP
 * create and the profile commit is finished (or, after a definitive failure, undone) in the
 * background instead of leaving an IdP user that nothing records.
 *
 * @throws BadRequest (`Invalid role(s): …`, Trust Admin rules, invalid email), NotFound (trust),
 *   Conflict (email already exists, or a record for it in flight), Throttled, Transient /
 *   Ambiguous (still being finished: with a `Location`), Internal (`Failed to create user`,
 *   `Failed to register user. Please try again.`, `…rollback also failed…`)
 */
export const registerIdentity = async (
  deps: RegisterIdentityDeps,
  input: RegisterIdentityInput,
  caller: Caller,
): Promise<RegisteredIdentity> => {
  await resolveRoleGrants(deps.db, input.roles, input.trustId)
  const email = { shown: input.email.trim(), normalised: normaliseEmail(input.email) }
  let recorded: Awaited<ReturnType<typeof recordToAdvance>>
  try {
    recorded = await recordToAdvance(
      deps,
      {
        kind: 'identity',
        // FLIP hands the email to the IdP exactly as given.
        email: input.email,
        emailNormalised: email.normalised,
        name: input.name,
        organisation: input.organisation,
        roleIds: input.roles,
        trustId: input.trustId,
        requestedBy: caller.id,
        idempotencyKey: null,
        requestHash: '',
      },
      caller.id,
      'phase-1 registration requested',
    )
  } catch (error) {
    throw (await recordingFailure(deps, error, email)) ?? error
  }
  const settled = await advanceInline(deps, recorded.registration, caller.id, recorded)
  if (settled.state !== 'completed') throw failureOf(settled)
  return { ...input, userId: settled.userId! }
}
