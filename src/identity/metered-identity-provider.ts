import type { Metrics } from '../metrics/metrics.js'
import { isIdentityError } from './identity-errors.js'
import type { IdentityProvider } from './identity-provider.js'
import type { PacedMethod } from './paced-identity-provider.js'

/**
 * Wraps any identity provider to count and time its calls (`flip_users_idp_requests_total`,
 * `flip_users_idp_request_duration_seconds`), like the pacing wrapper: a cross-cutting concern
 * around the port, so no adapter knows about metrics. The container puts it inside the pacing
 * wrapper, so each call that reaches the provider (a throttled retry included) is one request,
 * and its time is the provider's, not the wait for a pacing slot. Errors pass through unchanged.
 */
export const createMeteredIdentityProvider = (
  inner: IdentityProvider,
  metrics: Pick<Metrics, 'idpRequests' | 'idpRequestDuration'>,
): IdentityProvider => {
  const metered = async <T>(operation: PacedMethod, call: () => Promise<T>): Promise<T> => {
    const stop = metrics.idpRequestDuration.startTimer({ operation })
    try {
      const result = await call()
      metrics.idpRequests.inc({ operation, result: 'ok' })
      return result
    } catch (error) {
      metrics.idpRequests.inc({ operation, result: isIdentityError(error) ? error.reason : 'error' })
      throw error
    } finally {
      stop()
    }
  }
  // Every call of the port, whichever the adapter has (adapters are plain objects of functions),
  // so a method added to the port is metered without touching this file.
  const wrapped: Record<string, unknown> = { backend: inner.backend }
  for (const [operation, call] of Object.entries(inner)) {
    if (typeof call !== 'function') continue
    wrapped[operation] = (...args: unknown[]) =>
      metered(operation as PacedMethod, () =>
        (call as (...a: unknown[]) => Promise<unknown>).apply(inner, args),
      )
  }
  return wrapped as unknown as IdentityProvider
}
