import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser'
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options'
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config'
import { beforeAll, describe, expect, it } from 'vitest'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** One line per violation: the rule, then the import (or the whole loop) that breaks it. */
const describeViolation = (violation: IViolation): string => {
  const route = violation.cycle?.length
    ? [violation.from, ...violation.cycle.map((step) => step.name)].join(' → ')
    : `${violation.from} → ${violation.to}`
  return `${violation.rule.name}: ${route}`
}

/**
 * The layering in `.dependency-cruiser.mjs`, over src/ as TypeScript resolves it (type-only
 * imports included): no import cycles, adapters below use cases, a pure domain, errors at the
 * bottom. Run `npx depcruise src` for the same report on the command line.
 */
describe('the import graph of src/', () => {
  let result: ICruiseResult

  beforeAll(async () => {
    const options = await extractDepcruiseOptions(path.join(root, '.dependency-cruiser.mjs'))
    const cruised = await cruise(['src'], { ...options, baseDir: root }, undefined, {
      tsConfig: extractTSConfig(path.join(root, 'tsconfig.json')),
    })
    result = cruised.output as ICruiseResult
  })

  it('reads the whole of src/, the identity adapters and the features included', () => {
    const sources = result.modules.map((module) => module.source)
    for (const file of ['src/container.ts', 'src/identity/identity-adapters.ts', 'src/domain/clock.ts']) {
      expect(sources).toContain(file)
    }
    expect(sources.filter((source) => source.startsWith('src/features/')).length).toBeGreaterThan(20)
  })

  it('checks every rule the layering promises', () => {
    expect(result.summary.ruleSetUsed?.forbidden?.map((rule) => rule.name)).toEqual([
      'no-circular',
      'adapters-stay-below-use-cases',
      'domain-is-pure',
      'errors-import-only-errors-and-domain',
    ])
  })

  it('has no import that breaks a layering rule', () => {
    const violations = result.summary.violations.map(describeViolation)
    expect(violations, `\n${violations.join('\n')}\n`).toEqual([])
  })
})
