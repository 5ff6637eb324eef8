import { SignJWT } from 'jose'
import type { Clock } from '../domain/clock.js'
import type { LocalSigningKeys } from './local-signing-keys.js'

/** Local tokens carry a fixed audience so CLI- and server-minted tokens agree on any address. */
export const LOCAL_TOKEN_AUDIENCE = 'flip-users'

export interface LocalTokenIssuer {
  /** Signs an access token shaped like Cognito's (`token_use`, `username`) for `local` mode. */
  issue(subject: { id: string; username: string }, ttlSeconds: number): Promise<string>
}

export const createLocalTokenIssuer = (deps: {
  keys: LocalSigningKeys
  issuer: string
  clock: Clock
}): LocalTokenIssuer => ({
  async issue(subject, ttlSeconds) {
    const issuedAt = Math.floor(deps.clock.now().getTime() / 1000)
    return new SignJWT({ token_use: 'access', username: subject.username, client_id: LOCAL_TOKEN_AUDIENCE })
      .setProtectedHeader({ alg: 'RS256', kid: deps.keys.kid, typ: 'JWT' })
      .setSubject(subject.id)
      .setIssuer(deps.issuer)
      .setAudience(LOCAL_TOKEN_AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ttlSeconds)
      .sign(deps.keys.privateKey)
  },
})

/** Parses `30m`, `1h`, `2d` or plain seconds. @returns seconds, or undefined when malformed */
export const parseTtl = (text: string): number | undefined => {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim())
  if (!match) return undefined
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd']
  const seconds = Number(match[1]) * unit
  return seconds > 0 ? seconds : undefined
}
