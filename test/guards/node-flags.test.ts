import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { SEMI_SPACE_MB } from '../../src/cli/heap-policy.js'
import { cliNodeFlags, repoRoot } from '../support/built-cli.js'

// The CLI's Node flags live in two places a user meets: the installed command's first line, and
// `npm start`. They must say the same, or the embedded mode a new user judges is not the one the
// benchmarks measured.
describe("the CLI's Node flags", () => {
  it("are the same in the bin's first line and in npm start", () => {
    // The one a bare `node dist/cli/main.js` gets from the heap policy, too.
    expect(cliNodeFlags).toEqual([`--max-semi-space-size=${SEMI_SPACE_MB}`])
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      scripts: { start: string }
      bin: Record<string, string>
    }
    expect(pkg.scripts.start).toContain(`node ${cliNodeFlags.join(' ')} ${pkg.bin['flip-users']} serve`)
    // tsc keeps a first-line shebang as it is, so the source's is the installed command's.
    const firstLine = readFileSync(path.join(repoRoot, 'src/cli/main.ts'), 'utf8').split('\n', 1)[0]
    expect(firstLine).toBe(`#!/usr/bin/env -S node ${cliNodeFlags.join(' ')}`)
  })
})
