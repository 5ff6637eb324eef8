import { describe, expect, it } from 'vitest'
import { compareCodePoints } from './code-point-order.js'

const sorted = (values: string[]) => [...values].sort(compareCodePoints)

describe('code-point order', () => {
  it("puts 'p10_' before 'p1_' because '0' (U+0030) precedes '_' (U+005F)", () => {
    expect(sorted(['p1_a@x.org', 'p10_a@x.org', 'p2_a@x.org'])).toEqual([
      'p10_a@x.org',
      'p1_a@x.org',
      'p2_a@x.org',
    ])
  })

  it("puts 'lst-x' before 'lst_x' and upper case before lower case, with no locale rules", () => {
    expect(sorted(['lst_x@x.org', 'b@x.org', 'lst-x@x.org', 'B@x.org'])).toEqual([
      'B@x.org',
      'b@x.org',
      'lst-x@x.org',
      'lst_x@x.org',
    ])
  })

  it('puts a prefix before the longer string and treats equal strings as equal', () => {
    expect(compareCodePoints('ab', 'abc')).toBeLessThan(0)
    expect(compareCodePoints('abc', 'ab')).toBeGreaterThan(0)
    expect(compareCodePoints('same', 'same')).toBe(0)
    expect(compareCodePoints('', '')).toBe(0)
  })

  it('orders a character above U+FFFF after one in U+E000–U+FFFF, as Python does and UTF-16 does not', () => {
    const astral = '\u{1F600}' // U+1F600, a surrogate pair in UTF-16 (0xD83D 0xDE00)
    const privateUse = '\uE000'
    expect(astral < privateUse).toBe(true) // the UTF-16 code-unit order
    expect(sorted([astral, privateUse])).toEqual([privateUse, astral])
  })
})
