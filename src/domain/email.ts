/**
 * The form used for uniqueness: trimmed and lower-cased. The identity provider still receives
 * the address as the caller gave it (SPEC §4).
 */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase()

/** The longest address a mail path can carry (RFC 5321's 256 less the angle brackets). */
export const MAX_EMAIL_LENGTH = 254

const atom = "[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
const label = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?'
const emailPattern = new RegExp(`^${atom}(?:\\.${atom})*@${label}(?:\\.${label})+$`, 'i')

/**
 * THE email rule, on every route and in every adapter (SPEC §8): a dot-atom local part and a
 * host name with at least one dot, at most 254 characters. It is the part of RFC 5322 that every
 * identity provider accepts, so an address the service takes is one no adapter refuses: no quoted
 * local part (`"admin"@x.org`), no IP literal, no whitespace, no bare host (`a@localhost`).
 */
export const isEmailAddress = (value: string): boolean =>
  value.length <= MAX_EMAIL_LENGTH && emailPattern.test(value)
