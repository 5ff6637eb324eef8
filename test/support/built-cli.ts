import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import semver from 'semver'

const findRepoRoot = (from: string): string => {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'src/cli/main.ts')))
      return dir
    if (path.dirname(dir) === dir) throw new Error(`no flip-users checkout above ${from}`)
  }
}

/** Found by walking up, so it is the same from test/ (vitest) and from dist-bench/ (`npm run bench`). */
export const repoRoot = findRepoRoot(import.meta.dirname)
export const cliPath = path.join(repoRoot, 'dist/cli/main.js')

/**
 * The Node flags the CLI's own first line gives (`#!/usr/bin/env -S node …`), so a test or a
 * benchmark runs the CLI as the installed `flip-users` command runs, not as a bare `node`.
 */
export const cliNodeFlags: readonly string[] = (() => {
  const shebang = readFileSync(path.join(repoRoot, 'src/cli/main.ts'), 'utf8').split('\n', 1)[0]!
  const words = shebang.replace(/^#!\s*\/usr\/bin\/env\s+(-S\s+)?/, '').split(/\s+/)
  return words.slice(words.indexOf('node') + 1).filter(Boolean)
})()

/** `process.execPath`'s arguments that run the built CLI with `args`, flags first. */
export const cliArgs = (args: readonly string[]): string[] => [...cliNodeFlags, cliPath, ...args]

const OURS = ['DATABASE_URL', 'DATA_DIR', 'PORT', 'HOST', 'AUTH_BACKEND', 'FLIP_ADMIN_EMAIL', 'LOG_LEVEL']

// On a Node outside package.json's engines (this machine's Node 20) the CLI prints a warning line
// on stderr at start; tests that read stderr are about their own lines. CI runs supported Nodes.
// (package.json read from repoRoot: this file also runs compiled into dist-bench/.)
const engines = (
  JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } }
).engines.node
const quietOnUnsupportedNode: Record<string, string> = semver.satisfies(process.version, engines)
  ? {}
  : { NODE_NO_WARNINGS: '1' }

/** The caller's environment without any flip-users setting, plus `env`: the caller decides them all. */
export const cliEnv = (env: Record<string, string>): NodeJS.ProcessEnv => {
  const base = { ...process.env }
  for (const name of OURS) delete base[name]
  return { ...base, LOG_LEVEL: 'warn', ...quietOnUnsupportedNode, ...env }
}

export interface CliExit {
  code: number | null
  stdout: string
  stderr: string
}

export interface CliProcess {
  child: ChildProcess
  pid: number
  /** Resolves when the command exits, whatever its exit code. */
  exit: Promise<CliExit>
}

/** Starts the built CLI (`dist/cli/main.js`); the caller decides what its exit code means. */
export const spawnCli = (args: string[], env: Record<string, string>): CliProcess => {
  const child = spawn(process.execPath, cliArgs(args), {
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const exit = new Promise<CliExit>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
  return { child, pid: child.pid!, exit }
}
