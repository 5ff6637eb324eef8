import type { Caller } from '../auth/token-verifier.js'
import type { Clock } from '../domain/clock.js'
import { appError } from '../errors/error-catalogue.js'
import { toAppError } from '../identity/identity-error-bridge.js'
import { isIdentityError } from '../identity/identity-errors.js'
import type { IdentityProvider } from '../identity/identity-provider.js'

/** How long a positive answer is trusted (FLIP: 60 s). A negative one is never cached. */
export const MFA_POSITIVE_TTL_MS = 60_000

export interface MfaGate {
  /** @throws Forbidden (`MFA enrolment required`), Throttled, Transient, Internal */
  check(caller: Caller): Promise<void>
  /** Drops a cached positive answer, e.g. after the user's factor was reset. */
  forget(username: string): void
}

/**
 * ENFORCE_MFA: a caller must have an authenticator-app factor at the identity provider. A
 * positive answer is cached for a minute so every request does not cost an IdP read; a negative
 * one is re-read each time, so a user who has just enrolled is let in at once. The cache is per
 * process: after a reset, another replica may admit the user for up to a minute.
 */
export const createMfaGate = (deps: { idp: IdentityProvider; clock: Clock }): MfaGate => {
  const enrolledUntil = new Map<string, number>()
  const keyOf = (username: string) => username.toLowerCase()

  return {
    async check(caller) {
      const key = keyOf(caller.username)
      const now = deps.clock.now().getTime()
      const until = enrolledUntil.get(key)
      if (until !== undefined && until > now) return
      enrolledUntil.delete(key)
      let enrolled: boolean
      try {
        enrolled = await deps.idp.isMfaEnabled(caller.username)
      } catch (error) {
        // A subject the IdP does not know cannot be enrolled.
        if (isIdentityError(error, 'NotFound')) enrolled = false
        else
          throw toAppError(error, { otherwise: { code: 'idp.failed', detail: 'Failed to fetch MFA state' } })
      }
      if (!enrolled) throw appError('mfa.required', 'MFA enrolment required')
      enrolledUntil.set(key, now + MFA_POSITIVE_TTL_MS)
    },
    forget(username) {
      enrolledUntil.delete(keyOf(username))
    },
  }
}
