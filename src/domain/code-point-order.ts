/**
 * Compares two strings by Unicode code point, as Python compares `str` (FLIP sorts users with
 * `sorted(…, key=email)`): `'-'` (U+002D) < `'0'` (U+0030) < `'_'` (U+005F) < `'a'`, and no locale
 * rules. JavaScript's `<` compares UTF-16 code units instead, which differs from code points
 * only when a character above U+FFFF (a surrogate pair) meets one in U+E000–U+FFFF.
 */
export const compareCodePoints = (a: string, b: string): number => {
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i)!
    const y = b.codePointAt(j)!
    if (x !== y) return x < y ? -1 : 1
    i += x > 0xffff ? 2 : 1
    j += y > 0xffff ? 2 : 1
  }
  return (a.length - i > 0 ? 1 : 0) - (b.length - j > 0 ? 1 : 0)
}
