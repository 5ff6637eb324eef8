import { describe, expect, it } from 'vitest'
import { unsafeStringErrors } from './request-validator.js'

describe('unsafe strings in a request part', () => {
  it('finds a NUL or an unpaired surrogate at any depth, by JSON pointer, keys included', () => {
    const errors = unsafeStringErrors({ a: ['ok', 'x\u0000'], 'b/c': { d: '\uD800' }, 'k\u0000': 1 })
    expect(errors.map((error) => [error.instancePath, error.keyword]).sort()).toEqual([
      ['/a/1', 'string_nul_character'],
      ['/b~1c/d', 'string_unpaired_surrogate'],
      ['/k\u0000', 'string_nul_character'],
    ])
  })

  it('accepts surrogate pairs, other control characters and non-strings', () => {
    expect(unsafeStringErrors({ name: 'Ann 😀\t\u0001', n: 1, b: null, list: [true] })).toEqual([])
  })

  it('walks a deeply nested body without exhausting the stack, and reports at most 20 problems', () => {
    let deep: unknown = '\u0000'
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(unsafeStringErrors(deep)).toHaveLength(1)
    expect(unsafeStringErrors(Array.from({ length: 1000 }, () => '\u0000'))).toHaveLength(20)
  })
})
