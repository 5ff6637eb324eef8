import { describeFailure as describeByBridge, isTransient } from '../../identity/identity-error-bridge.js'
import { StaleRegistrationError } from '../../repositories/registrations-repository.js'

/**
 * The saga's reading of a failure: the error bridge's table (src/identity/identity-error-bridge.ts),
 * plus the one failure only the saga knows. The registration no longer in the state the step
 * expected (StaleRegistrationError) is transient: under the lease only our own writes move it,
 * so this is a write that committed although its caller saw a failure (a connection lost at
 * commit); re-reading it tells where it stands. It is never a reason to undo anything, nor a 500.
 */
export const isTransientFailure = (error: unknown): boolean =>
  error instanceof StaleRegistrationError || isTransient(error)

/** A short, client-safe description of a failure for the registration's record and events. */
export const describeFailure = (error: unknown): string =>
  error instanceof StaleRegistrationError ? 'the registration changed meanwhile' : describeByBridge(error)
