import { describe, expect, it } from 'vitest'
import { supportedNodeRange, unsupportedNodeWarning } from './node-support.js'

describe('the supported Node.js range', () => {
  it('is the engines.node that package.json declares', async () => {
    const manifest = (await import('../../package.json', { with: { type: 'json' } })).default
    expect(supportedNodeRange()).toBe(manifest.engines.node)
  })

  it('warns on one line naming the running and the required versions when outside the range', () => {
    const warning = unsupportedNodeWarning('v20.20.2', '^22.13.0 || >=24.0.0')
    expect(warning).toBe(
      'flip-users: Node.js v20.20.2 is not supported (flip-users needs ^22.13.0 || >=24.0.0) — continuing anyway; install a supported Node.js (README: "Node versions")\n',
    )
  })

  it('warns on a version between the supported majors and below the lowest supported minor', () => {
    expect(unsupportedNodeWarning('v23.11.0', '^22.13.0 || >=24.0.0')).toBeDefined()
    expect(unsupportedNodeWarning('v22.12.0', '^22.13.0 || >=24.0.0')).toBeDefined()
  })

  it('stays silent on every version inside the range', () => {
    for (const running of ['v22.13.0', 'v22.23.5', 'v24.0.0', 'v24.21.0', 'v26.1.0'])
      expect(unsupportedNodeWarning(running, '^22.13.0 || >=24.0.0')).toBeUndefined()
  })
})
