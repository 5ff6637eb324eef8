import type { Db } from '../../../db/database.js'
import { isIdentityError } from '../../../identity/identity-errors.js'
import type { IdentityUser } from '../../../identity/identity-provider.js'
import {
  createRegistrationsRepository,
  type Registration,
} from '../../../repositories/registrations-repository.js'
import { createUserRolesRepository } from '../../../repositories/user-roles-repository.js'
import { describeFailure, isTransientFailure } from '../classify-failure.js'
import { continueWith, type StepContext, type StepResult, waitWith } from '../saga-context.js'

/**
 * Adoption, never theft: after an ambiguous create, the IdP may hold the user we asked for. It
 * is ours only if it appeared after this registration began and nobody has granted it anything.
 */
export const isOurs = async (db: Db, registration: Registration, existing: IdentityUser): Promise<boolean> =>
  // Providers may report creation to the whole second (cognito-local does), so "after we began"
  // is judged at that resolution; the no-grants rule still guards a same-second stranger.
  existing.createdAt.getTime() >= Math.floor(registration.createdAt.getTime() / 1000) * 1000 &&
  !(await createUserRolesRepository(db).holdsAny(existing.id))

const adoptableUser = async (
  ctx: StepContext,
  registration: Registration,
): Promise<IdentityUser | undefined> => {
  const existing = await ctx.deps.idp.getUserByEmail(registration.email)
  return (await isOurs(ctx.deps.db, registration, existing)) ? existing : undefined
}

/**
 * Step 1 (pending → identity_created): create the IdP user. The attempt is recorded before the
 * call, so an AlreadyExists on a later attempt can be recognised as possibly our own.
 * ↩ undone by compensation, which deletes the user by the username captured here.
 */
export const createIdentityUser = async (
  ctx: StepContext,
  registration: Registration,
): Promise<StepResult> => {
  const registrations = createRegistrationsRepository(ctx.deps.db)
  const { actor } = ctx
  const attemptedBefore = registration.createAttemptedAt !== null
  // Every attempt is recorded before the call: a later AlreadyExists can then be recognised as
  // possibly our own, and an operator's abandon waits out a settle window measured from the
  // latest attempt, since a create sent then may still land.
  const current = await registrations.note(
    registration.id,
    'pending',
    actor,
    attemptedBefore ? 'retrying the identity-provider user creation' : 'creating the identity-provider user',
    { createAttemptedAt: ctx.deps.clock.now() },
  )
  const attempts = current.attempts + 1
  const created = (user: IdentityUser, reason: string) =>
    registrations.transition(current.id, {
      from: 'pending',
      to: 'identity_created',
      actor,
      reason,
      patch: { userId: user.id, username: user.username, attempts, errorCode: null, errorDetail: null },
    })
  const fail = (errorCode: string, errorDetail: string, reason: string) =>
    registrations.transition(current.id, {
      from: 'pending',
      to: 'failed',
      actor,
      reason,
      patch: { attempts, errorCode, errorDetail },
    })

  try {
    const user = await ctx.deps.idp.createUser(current.email)
    return continueWith(await created(user, 'identity-provider user created'))
  } catch (error) {
    if (isIdentityError(error, 'AlreadyExists')) {
      if (attemptedBefore) {
        try {
          const adopted = await adoptableUser(ctx, current)
          if (adopted)
            return continueWith(await created(adopted, 'adopted the user our earlier ambiguous create made'))
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

const waitAfter = async (ctx: StepContext, registration: Registration, attempts: number, error: unknown) =>
  waitWith(
    await createRegistrationsRepository(ctx.deps.db).note(
      registration.id,
      'pending',
      ctx.actor,
      describeFailure(error),
      {
        attempts,
        errorCode: 'idp.unavailable',
        errorDetail: describeFailure(error),
      },
    ),
  )
