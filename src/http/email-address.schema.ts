import { Type } from 'typebox'
import Format from 'typebox/format'
import { isEmailAddress, MAX_EMAIL_LENGTH } from '../domain/email.js'

// TypeBox's own `email` format is RFC 5322's, which accepts forms the identity providers refuse
// (a quoted local part, an IP literal); every schema's `email` is the service's one rule instead.
// Compiled checks capture the format when they are built, and every schema that takes an address
// imports EmailAddress from here, so the rule is in place before any of them is compiled.
Format.Set('email', isEmailAddress)

/** An email address as every route takes it: the service's one rule (`domain/email.ts`). */
export const EmailAddress = (options: { description?: string } = {}) =>
  Type.String({ format: 'email', maxLength: MAX_EMAIL_LENGTH, ...options })
