import { isIdentityError } from '../../identity/identity-errors.js'
import type { Registration } from '../../repositories/registrations-repository.js'
import { describeFailure } from './classify-failure.js'
import { continueWith, registrationsOf, type StepContext, type StepResult, waitWith } from './saga-context.js'

/**
 * The one retry budget of undoing work (compensation, and the IdP half of a delete): each failed
 * attempt is counted, and once `compensationBudget` attempts have failed a person must look
 * (`needs_attention`) instead of the service retrying forever. Until then it waits for the next
 * background attempt, which comes with backoff, so the budget is spent over real time.
 */
export const countFailedAttempt = async (
  ctx: StepContext,
  current: Registration,
  error: unknown,
  what: string,
  errorCode: string,
): Promise<StepResult> => {
  const detail = isIdentityError(error) ? error.message : describeFailure(error)
  const compensationAttempts = current.compensationAttempts + 1
  const exhausted = compensationAttempts >= ctx.options.compensationBudget
  const moved = await registrationsOf(ctx).transition(current, {
    from: current.state,
    to: exhausted ? 'needs_attention' : current.state,
    actor: ctx.actor,
    reason: exhausted
      ? `${what} failed ${compensationAttempts} times: ${detail}`
      : `${what} failed: ${detail}`,
    patch: { compensationAttempts, errorCode, errorDetail: detail },
  })
  return exhausted ? continueWith(moved) : waitWith(moved)
}
