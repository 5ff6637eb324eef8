import { describe, expect, it } from 'vitest'
import { HEAP_GROWING_PERCENT, missingStartFlags, runtimeFlags, SEMI_SPACE_MB } from './heap-policy.js'

describe('the heap policy', () => {
  it('asks for the semi-space flag only when node was not given one', () => {
    expect(missingStartFlags([], '')).toEqual([`--max-semi-space-size=${SEMI_SPACE_MB}`])
    expect(missingStartFlags(['--enable-source-maps'], '--no-warnings')).toEqual([
      `--max-semi-space-size=${SEMI_SPACE_MB}`,
    ])
    expect(missingStartFlags([`--max-semi-space-size=${SEMI_SPACE_MB}`], '')).toEqual([])
    expect(missingStartFlags(['--max_semi_space_size=32'], '')).toEqual([])
    expect(missingStartFlags([], '--max-semi-space-size=16')).toEqual([])
  })

  it('sets the growing factor unless the operator chose one, on the command line or in NODE_OPTIONS', () => {
    expect(runtimeFlags([], '')).toEqual([`--heap-growing-percent=${HEAP_GROWING_PERCENT}`])
    expect(runtimeFlags(['--max-semi-space-size=4'], '')).toEqual([
      `--heap-growing-percent=${HEAP_GROWING_PERCENT}`,
    ])
    expect(runtimeFlags(['--heap-growing-percent=50'], '')).toEqual([])
    expect(runtimeFlags(['--heap_growing_percent=50'], '')).toEqual([])
    expect(runtimeFlags([], '--enable-source-maps --heap-growing-percent=5')).toEqual([])
  })
})
