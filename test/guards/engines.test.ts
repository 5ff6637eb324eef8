import { readFileSync } from 'node:fs'
import semver from 'semver'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../support/built-cli.js'

interface LockedPackage {
  version?: string
  engines?: { node?: string }
}

interface Lockfile {
  packages: Record<string, LockedPackage>
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(`${repoRoot}/${file}`, 'utf8')) as T

/**
 * Every locked package whose `engines.node` does not cover all of `ours`: a Node version we claim
 * that the package does not (or a range that cannot be read, so cannot be checked). Optional
 * platform packages npm skips on Linux count too: some machine installs each of them.
 */
const dependenciesNarrowerThan = (ours: string, lockfile: Lockfile): string[] =>
  Object.entries(lockfile.packages)
    .filter(([location]) => location !== '')
    .flatMap(([location, locked]) => {
      const theirs = locked.engines?.node
      if (theirs === undefined) return []
      const covered = semver.validRange(theirs) !== null && semver.subset(ours, theirs)
      return covered ? [] : [`${location}@${locked.version ?? '?'} needs node ${theirs}`]
    })

const manifest = readJson<{ engines: { node: string } }>('package.json')
const lockfile = readJson<Lockfile & { packages: { '': LockedPackage } }>('package-lock.json')

describe('engines.node', () => {
  it('is a range every locked dependency supports in full, development tools included', () => {
    expect(dependenciesNarrowerThan(manifest.engines.node, lockfile)).toEqual([])
  })

  it('names a dependency that needs more than we claim, and accepts one that needs less', () => {
    const locked = (node: string): Lockfile => ({
      packages: { '': {}, 'node_modules/dep': { version: '1.0.0', engines: { node } } },
    })
    expect(dependenciesNarrowerThan('>=20', locked('>=22.12.0'))).toEqual([
      'node_modules/dep@1.0.0 needs node >=22.12.0',
    ])
    // vitest 4 skips Node 23: a claim of ">=22.12.0" would include it.
    expect(dependenciesNarrowerThan('>=22.12.0', locked('^20.0.0 || ^22.0.0 || >=24.0.0'))).toHaveLength(1)
    expect(
      dependenciesNarrowerThan('^22.13.0 || >=24.0.0', locked('^20.0.0 || ^22.0.0 || >=24.0.0')),
    ).toEqual([])
    expect(dependenciesNarrowerThan('^22.13.0 || >=24.0.0', locked('>=18'))).toEqual([])
    expect(dependenciesNarrowerThan('^22.13.0 || >=24.0.0', locked('not a range'))).toHaveLength(1)
  })

  it('is recorded in package-lock.json as in package.json', () => {
    expect(lockfile.packages[''].engines?.node).toBe(manifest.engines.node)
  })

  it('names no Node major that CI does not run the suite on', () => {
    // .ci/run installs each Node it tests on with `install_node <version>`.
    const ciScript = readFileSync(`${repoRoot}/.ci/run`, 'utf8')
    const ciVersions = [...ciScript.matchAll(/install_node (\d+\.\d+\.\d+)/g)].map((match) => match[1]!)
    // One comparator set per major we claim (^22.13.0 || >=24.0.0 → two); each must hold a CI Node.
    const claimed = new semver.Range(manifest.engines.node).set.map((comparators) =>
      comparators.map((comparator) => comparator.value).join(' '),
    )
    const untested = claimed.filter((set) => !ciVersions.some((version) => semver.satisfies(version, set)))
    expect(untested).toEqual([])
    // And CI runs nothing we don't claim.
    expect(ciVersions.filter((version) => !semver.satisfies(version, manifest.engines.node))).toEqual([])
  })
})
