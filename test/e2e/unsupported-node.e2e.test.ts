import { spawn } from 'node:child_process'
import semver from 'semver'
import { describe, expect, it } from 'vitest'
import { supportedNodeRange } from '../../src/cli/node-support.js'
import { type CliExit, cliEnv, cliPath, spawnCli } from '../support/built-cli.js'

/**
 * Runs the built CLI as if on Node `version`: a preload makes `process.version` say so before the
 * CLI's first module runs. The runtime is the one boundary we do not own, so only its answer is
 * faked; everything after it is the real CLI.
 */
const runCliAsNode = (version: string, args: string[], env: Record<string, string>): Promise<CliExit> => {
  const preload = `Object.defineProperty(process, 'version', { value: ${JSON.stringify(version)} })`
  const child = spawn(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(preload)}`, cliPath, ...args],
    { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

// NODE_NO_WARNINGS: '0' undoes the quiet cliEnv keeps when the suite itself runs on an unsupported Node.
const warningsOn = { NODE_NO_WARNINGS: '0' }

describe('flip-users on a Node.js outside package.json engines', () => {
  it('starts with one stderr line naming the running and the required versions, then carries on', async () => {
    const { code, stdout, stderr } = await runCliAsNode('v20.20.2', ['--help'], warningsOn)
    expect(stderr.split('\n')[0]).toBe(
      `flip-users: Node.js v20.20.2 is not supported (flip-users needs ${supportedNodeRange()}) — continuing anyway; install a supported Node.js (README: "Node versions")`,
    )
    expect(code).toBe(0)
    expect(stdout + stderr).toContain('usage: flip-users')
  })

  it('says nothing about the version with NODE_NO_WARNINGS=1', async () => {
    const { code, stderr } = await runCliAsNode('v20.20.2', ['--help'], { NODE_NO_WARNINGS: '1' })
    expect(stderr).not.toContain('is not supported')
    expect(code).toBe(0)
  })

  it('warns exactly when the Node it really runs on, the suite’s own, is outside the range', async () => {
    // Nothing faked: under CI's Node 22 and 24 this is silent, under the machines' Node 20 it warns.
    const { code, stderr } = await spawnCli(['--help'], warningsOn).exit
    const supported = semver.satisfies(process.version, supportedNodeRange())
    expect(stderr.includes(`Node.js ${process.version} is not supported`)).toBe(!supported)
    expect(code).toBe(0)
  })

  it('says nothing about the version on a supported Node', async () => {
    for (const version of ['v22.13.0', 'v24.21.0']) {
      const { code, stderr } = await runCliAsNode(version, ['--help'], warningsOn)
      expect(stderr).not.toContain('is not supported')
      expect(code).toBe(0)
    }
  })
})
