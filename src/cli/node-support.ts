import { readFileSync } from 'node:fs'
import semver from 'semver'

/**
 * The Node.js versions flip-users supports: package.json's `engines.node`, the one place they are
 * written. test/guards/engines.test.ts keeps it true (every dependency supports all of it, and CI
 * runs the suite on each major it names); README "Node versions" says why.
 */
export const supportedNodeRange = (): string => {
  // The same relative path from src/cli/ (tests) and from dist/cli/ (the built CLI).
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    engines: { node: string }
  }
  return manifest.engines.node
}

/**
 * The one stderr line the CLI prints at start on a Node outside `supported`, or undefined when
 * `running` (e.g. `process.version`) is inside it. A warning, not a refusal: see README
 * "Node versions".
 */
export const unsupportedNodeWarning = (running: string, supported: string): string | undefined =>
  semver.satisfies(running, supported)
    ? undefined
    : `flip-users: Node.js ${running} is not supported (flip-users needs ${supported}) — continuing anyway; install a supported Node.js (README: "Node versions")\n`
