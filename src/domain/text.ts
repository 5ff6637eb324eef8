/**
 * Why a string cannot be kept as PostgreSQL text or sent on as UTF-8, if it cannot: PostgreSQL
 * text cannot hold U+0000, and an unpaired UTF-16 surrogate has no UTF-8 form (drivers would
 * silently store U+FFFD instead). Such strings are refused at the edge (SPEC §8), never stored.
 */
export type TextProblem = 'nul_character' | 'unpaired_surrogate'

/** How a validation error names each problem (FLIP's pydantic style: "String should …"). */
export const textProblemMessages: Record<TextProblem, string> = {
  nul_character: 'String should not contain the NUL character (U+0000)',
  unpaired_surrogate: 'String should be valid Unicode (no unpaired surrogate)',
}

const unpairedSurrogate = /\p{Cs}/u

export const textProblemOf = (value: string): TextProblem | undefined => {
  if (value.includes('\u0000')) return 'nul_character'
  if (unpairedSurrogate.test(value)) return 'unpaired_surrogate'
  return undefined
}
