import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import { cliArgs, cliEnv, cliPath, repoRoot, spawnCli } from '../support/built-cli.js'

const execFileAsync = promisify(execFile)

/** The e2e tests run the built CLI; the global setup rebuilds it when `src/` is newer. */
export const ensureBuilt = async (): Promise<void> => {
  if (!existsSync(cliPath)) await execFileAsync('npm', ['run', 'build', '--silent'], { cwd: repoRoot })
}

export { cliPath, repoRoot } from '../support/built-cli.js'

/** Runs a CLI command to completion. */
export const runCli = (args: string[], env: Record<string, string>) => spawnCli(args, env).exit

export interface RunningServe {
  child: ChildProcess
  url: string
  /** Everything it printed, both streams interleaved as they arrived. */
  output: () => string
  /** stdout alone: the JSON log lines. */
  stdout: () => string
  /** stderr alone: the banner and hints. */
  stderr: () => string
  /** Resolves with the exit code. */
  exited: Promise<number | null>
}

/** Starts `flip-users serve` on a free port and waits for its banner. */
export const startServe = (
  env: Record<string, string>,
  /** `bare`: as `node dist/cli/main.js serve`, without the flags the bin's first line gives. */
  options: { bare?: boolean } = {},
): Promise<RunningServe> =>
  new Promise((resolve, reject) => {
    const args = options.bare ? [cliPath, 'serve'] : cliArgs(['serve'])
    const child = spawn(process.execPath, args, {
      env: cliEnv({ PORT: '0', ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const streams = { stdout: '', stderr: '' }
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)))
    const onData = (stream: keyof typeof streams) => (chunk: Buffer) => {
      output += chunk.toString()
      streams[stream] += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match && /API docs:/.test(output))
        resolve({
          child,
          url: match[1]!,
          output: () => output,
          stdout: () => streams.stdout,
          stderr: () => streams.stderr,
          exited,
        })
    }
    child.stdout.on('data', onData('stdout'))
    child.stderr.on('data', onData('stderr'))
    exited.then((code) => reject(new Error(`serve exited with ${code} before it was ready:\n${output}`)))
  })

/** The admin token `serve` prints at start. */
export const printedAdminToken = (output: string): string => {
  const match = /Admin token for .*:\n\s+(\S+)/.exec(output)
  if (!match) throw new Error(`no admin token in:\n${output}`)
  return match[1]!
}
