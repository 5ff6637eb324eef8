import { isWorkable } from '../../domain/registration-state.js'
import { appError } from '../../errors/error-catalogue.js'
import { toAppError } from '../../identity/identity-error-bridge.js'
import { isIdentityError } from '../../identity/identity-errors.js'
import type { IdentityUser } from '../../identity/identity-provider.js'
import {
  createRegistrationsRepository,
  type Registration,
  type RegistrationPatch,
} from '../../repositories/registrations-repository.js'
import { adoptableUser } from '../register-user/adoption.js'
import { withLease } from '../register-user/with-lease.js'
import {
  advanceNow,
  findOperable,
  OPERATOR,
  type OperateRegistrationsDeps,
  type OperatorOutcome,
  reopen,
} from './operator-actions.js'

/**
 * Adoption, never theft (register-user/adoption.ts): the IdP user is ours only if it appeared
 * after the registration began and nobody has granted it anything.
 * @returns undefined when the IdP has no such user or it is not ours
 */
const userOurCreateMade = async (
  deps: OperateRegistrationsDeps,
  registration: Registration,
): Promise<IdentityUser | undefined> => {
  try {
    return await adoptableUser(deps, registration)
  } catch (error) {
    if (isIdentityError(error, 'NotFound') || isIdentityError(error, 'InvalidInput')) return undefined
    // Nothing has been changed yet: the operator tries again once the IdP answers.
    throw toAppError(error, {
      otherwise: {
        code: 'idp.failed',
        detail: 'The identity provider could not be asked about the user; nothing changed',
      },
    })
  }
}

/**
 * How long after a pending registration's last change (at the latest, the start of its last
 * create attempt) an operator may abandon it: past the IdP client's timeouts, so a create sent then has landed or
 * never will, and the email lookup that decides between adopt-and-delete and fail can be trusted.
 */
export const ABANDON_SETTLE_SECONDS = 60

/** The operator's decision for a registration whose lease this process holds. */
const abandonClaimed = async (deps: OperateRegistrationsDeps, registration: Registration, actor: string) => {
  const registrations = createRegistrationsRepository(deps.db)
  const reason = 'abandoned by an operator'
  const compensateWith = (patch: RegistrationPatch, why = reason) =>
    registrations.transition(registration, {
      from: registration.state,
      to: 'compensating',
      actor,
      reason: why,
      patch: { ...patch, compensationAttempts: 0, failureDetail: reason },
    })
  const fail = (errorCode: string, errorDetail: string, why = reason) =>
    registrations.transition(registration, {
      from: 'pending',
      to: 'failed',
      actor,
      reason: why,
      patch: { errorCode, errorDetail },
    })

  if (registration.state === 'identity_created') return compensateWith({})
  if (registration.state !== 'pending') return registration
  // Never attempted: the IdP was not asked, so nothing can exist there.
  if (registration.createAttemptedAt === null)
    return fail('registration.failed', 'Registration abandoned by an operator')
  // Attempted with no answer (a timeout, an outage): the create may have taken effect — or may
  // yet: a request the client gave up on can still reach the IdP, and an index can lag a create.
  // Until the last attempt has settled, "no such user" proves nothing, so the operator waits.
  const waitSeconds = ABANDON_SETTLE_SECONDS - (await registrations.secondsSinceChange(registration.id))
  if (waitSeconds > 0) {
    const seconds = Math.ceil(waitSeconds)
    throw appError(
      'registration.settling',
      `Registration ${registration.id} tried to create its identity-provider user less than ${ABANDON_SETTLE_SECONDS} seconds ago and that user may still appear; try again in ${seconds} s`,
      {
        extensions: {
          registrationId: registration.id,
          state: registration.state,
          retryAfterSeconds: seconds,
        },
        // Over HTTP, the same wait as a Retry-After header.
        retryAfterSeconds: seconds,
      },
    )
  }
  const user = await userOurCreateMade(deps, registration)
  if (user) {
    return compensateWith(
      { userId: user.id, username: user.username },
      `${reason}: removing the identity-provider user an earlier create made`,
    )
  }
  return fail('registration.failed', 'Registration abandoned by an operator')
}

/**
 * `flip-users registrations abandon ID` ("compensate now"): give up on a registration and undo
 * whatever it created. `pending` becomes `failed` when nothing exists at the IdP (after looking
 * the email up if a create was attempted, and adopting the user an ambiguous create made);
 * `identity_created` and `needs_attention` go to `compensating` (with a fresh budget), which then
 * runs at once. Pending and identity_created registrations are changed only under their lease,
 * so a worker is never mid-step on them.
 *
 * @throws NotFound (`registration.not_found`), Conflict (`registration.not_workable` for a final
 *   state; `registration.in_flight` when another process holds it right now;
 *   `registration.settling` when its last create attempt is under a minute old), Throttled /
 *   Transient / Ambiguous / Internal (the IdP lookup failed; nothing was changed), and database
 *   failures outside a step
 */
export const abandonRegistration = async (
  deps: OperateRegistrationsDeps,
  registrationId: string,
  actor: string = OPERATOR,
): Promise<OperatorOutcome> => {
  const registration = await findOperable(deps, registrationId, 'abandon')
  // A delete has nothing to undo: its database side is committed and the IdP user must go.
  if (registration.kind === 'delete') {
    throw appError(
      'registration.not_abandonable',
      `Registration ${registrationId} is a delete; it can be retried, not abandoned`,
      { extensions: { registrationId, state: registration.state } },
    )
  }
  if (registration.state === 'needs_attention') {
    await reopen(deps, registration, 'abandoned by an operator', actor)
  } else if (registration.state !== 'compensating') {
    // The operator's own transitions (to failed, or to compensating) get their log lines from
    // the lease, as a worker's do.
    const leased = await withLease(deps, deps.saga.leaseSeconds, registrationId, actor, (claimed) =>
      abandonClaimed(deps, claimed, actor),
    )
    if (!leased.claimed) {
      const now = await findOperable(deps, registrationId, 'abandon')
      throw appError(
        'registration.in_flight',
        `Registration ${registrationId} is being worked on by another process right now; try again in a moment`,
        { extensions: { registrationId, state: now.state } },
      )
    }
    if (!isWorkable(leased.value.state)) return { registration: leased.value, advanced: true, queued: false }
  }
  return advanceNow(deps, registrationId, actor)
}
