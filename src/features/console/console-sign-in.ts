import { randomBytes } from 'node:crypto'
import type { LocalTokenIssuer } from '../../auth/local-token-issuer.js'
import type { Clock } from '../../domain/clock.js'
import { appError } from '../../errors/error-catalogue.js'

/** A printed link is good for ten minutes: long enough to open it, short enough not to linger. */
export const CONSOLE_CODE_TTL_SECONDS = 600
/** The session the link opens lasts a working day, like the admin token `serve` prints. */
export const CONSOLE_SESSION_TTL_SECONDS = 8 * 3600

export interface ConsoleSession {
  accessToken: string
  expiresInSeconds: number
  email: string
}

/**
 * One-time console sign-in codes (`local` backend): `serve` prints a link carrying one; the page
 * exchanges it once for a session token of the user it was minted for.
 *
 * Codes live in this process's memory, not the database: the process that prints the link is
 * the one that answers it (the link names its own address), an embedded data directory has this
 * one process as its only owner anyway, and a code that dies with the process is exactly right:
 * nothing to expire or clean up after a crash, nothing an attacker can read from a backup.
 */
export interface ConsoleSignIn {
  /** Mints a code for `subject`, usable once within CONSOLE_CODE_TTL_SECONDS. */
  issueCode(subject: { id: string; username: string; email: string }): string
  /**
   * Spends a code (whatever the outcome, it cannot be used again) for a session token.
   * @throws Unauthenticated `console.code_invalid` for an unknown, used or expired code, or when
   *   this backend signs no tokens of its own (Cognito: sign in through the Hosted UI)
   */
  redeem(code: string): Promise<ConsoleSession>
}

export const createConsoleSignIn = (deps: {
  clock: Clock
  issuer: LocalTokenIssuer | undefined
}): ConsoleSignIn => {
  const codes = new Map<
    string,
    { subject: { id: string; username: string; email: string }; expiresAt: number }
  >()
  const dropExpired = (now: number) => {
    for (const [code, entry] of codes) if (entry.expiresAt <= now) codes.delete(code)
  }
  return {
    issueCode(subject) {
      const now = deps.clock.now().getTime()
      dropExpired(now)
      // 256 random bits: not guessable within ten minutes, whatever the request rate.
      const code = randomBytes(32).toString('base64url')
      codes.set(code, { subject, expiresAt: now + CONSOLE_CODE_TTL_SECONDS * 1000 })
      return code
    },
    async redeem(code) {
      const entry = codes.get(code)
      codes.delete(code)
      const now = deps.clock.now().getTime()
      if (!entry || entry.expiresAt <= now || !deps.issuer)
        throw appError(
          'console.code_invalid',
          'This sign-in link is not valid: it was used already, has expired, or was printed by another run of serve. Sign in with a token instead, or restart serve for a new link.',
        )
      const accessToken = await deps.issuer.issue(entry.subject, CONSOLE_SESSION_TTL_SECONDS)
      return { accessToken, expiresInSeconds: CONSOLE_SESSION_TTL_SECONDS, email: entry.subject.email }
    },
  }
}
