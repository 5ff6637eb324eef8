import { toAppError } from '../../../identity/identity-error-bridge.js'
import { isIdentityError } from '../../../identity/identity-errors.js'
import type { IdentityUser } from '../../../identity/identity-provider.js'
import { deferTransition, type Registration } from '../../../repositories/registrations-repository.js'
import { adoptableUser } from '../adoption.js'
import { describeFailure, isTransientFailure } from '../classify-failure.js'
import {
  continueWith,
  registrationsOf,
  type StepContext,
  type StepResult,
  waitWith,
} from '../saga-context.js'

/**
 * Step 1 (pending → identity_created), for the step function and phase 1 alike: create the IdP
 * user. The attempt is recorded before the call, so an AlreadyExists on a later attempt can be
 * recognised as possibly our own.
 * ↩ undone by compensation, which deletes the user by the username captured here.
 */
export const createIdentityUser = async (
  ctx: StepContext,
  registration: Registration,
): Promise<StepResult> => {
  const registrations = registrationsOf(ctx)
  const { actor } = ctx
  // On the request path the first attempt was recorded with the insert (the request holds the
  // lease since): it is a first attempt, and already on record.
  const recordedWithInsert = ctx.attemptRecorded === true && registration.attempts === 0
  const attemptedBefore = !recordedWithInsert && registration.createAttemptedAt !== null
  // Every attempt is recorded before the call: a later AlreadyExists can then be recognised as
  // possibly our own, and an operator's abandon waits out a settle window measured from the
  // latest attempt, since a create sent then may still land.
  const current = recordedWithInsert
    ? registration
    : await registrations.note(
        registration,
        actor,
        attemptedBefore
          ? 'retrying the identity-provider user creation'
          : 'creating the identity-provider user',
        { createAttemptedAt: ctx.deps.clock.now() },
      )
  const attempts = current.attempts + 1
  // Not written here: the next step's statement writes it with its own (grants and profile, or
  // the failure it meets), so a registration commits once after the IdP call. Lost in a crash,
  // the record is still `pending` with its attempt recorded, and the retry adopts this user.
  const created = (user: IdentityUser, reason: string) =>
    deferTransition(current, {
      from: 'pending',
      to: 'identity_created',
      actor,
      reason,
      patch: { userId: user.id, username: user.username, attempts, errorCode: null, errorDetail: null },
    })
  const fail = (errorCode: string, errorDetail: string, reason: string) =>
    registrations.transition(current, {
      from: 'pending',
      to: 'failed',
      actor,
      reason,
      patch: { attempts, errorCode, errorDetail },
    })

  try {
    const user = await ctx.deps.idp.createUser(current.email)
    return continueWith(created(user, 'identity-provider user created'))
  } catch (error) {
    if (isIdentityError(error, 'AlreadyExists')) {
      if (attemptedBefore) {
        try {
          const adopted = await adoptableUser(ctx.deps, current)
          if (adopted)
            return continueWith(created(adopted, 'adopted the user our earlier ambiguous create made'))
        } catch (lookupError) {
          if (isTransientFailure(lookupError)) return waitAfter(ctx, current, attempts, lookupError)
          throw lookupError
        }
      }
      const detail = `User with email ${current.email} already exists`
      return continueWith(
        await fail('user.email_exists', detail, 'the email already has an identity-provider user'),
      )
    }
    if (isIdentityError(error, 'InvalidInput')) {
      return continueWith(
        await fail('user.invalid_email', 'Invalid email address format', 'the IdP rejected the email'),
      )
    }
    // Phase 1 alone keeps FLIP's answer to a create that did not take effect (Throttled,
    // Unavailable: the port's contract): nothing exists to finish or undo, so the record fails
    // at once and the caller's retry is a fresh one, not a 409 behind a background job.
    if (
      current.kind === 'identity' &&
      (isIdentityError(error, 'Throttled') || isIdentityError(error, 'Unavailable'))
    ) {
      const answer = toAppError(error)
      return continueWith(await fail(answer.code, answer.detail, describeFailure(error)))
    }
    // NotFound from a create is no lag we know of: the provider answered, definitively.
    if (isTransientFailure(error) && !isIdentityError(error, 'NotFound'))
      return waitAfter(ctx, current, attempts, error)
    ctx.deps.log.error({ err: error, registrationId: current.id }, 'identity-provider user creation failed')
    // Nothing was created, so there is nothing to compensate: the registration simply failed.
    const providerFailed = isIdentityError(error)
    return continueWith(
      await fail(
        providerFailed ? 'user.create_failed' : 'user.register_failed',
        providerFailed ? 'Failed to create user' : 'Failed to register user',
        describeFailure(error),
      ),
    )
  }
}

/**
 * A transient failure, counted. The error bridge's code is kept (idp.throttled, idp.unavailable,
 * idp.ambiguous, database.unavailable), so an answer given while it waits says what it waits
 * for; the detail is the operator's (which reason the provider gave).
 */
const waitAfter = async (ctx: StepContext, registration: Registration, attempts: number, error: unknown) => {
  const detail = describeFailure(error)
  return waitWith(
    await registrationsOf(ctx).note(registration, ctx.actor, detail, {
      attempts,
      errorCode: toAppError(error).code,
      errorDetail: detail,
    }),
  )
}
