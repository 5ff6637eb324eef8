/**
 * The form used for uniqueness: trimmed and lower-cased. The identity provider still receives
 * the address as the caller gave it (SPEC §4).
 */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase()
