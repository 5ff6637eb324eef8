import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

import { cliArgs, cliEnv, cliPath, spawnCli } from '../../test/support/built-cli.js'

export { type CliExit, type CliProcess, cliPath, repoRoot, spawnCli } from '../../test/support/built-cli.js'

export const requireBuiltCli = (): void => {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`)
}

/** Runs a CLI command to completion; rejects on a non-zero exit. */
export const runCli = async (args: string[], env: Record<string, string>): Promise<string> => {
  const { code, stdout, stderr } = await spawnCli(args, env).exit
  if (code !== 0) throw new Error(`flip-users ${args[0]} exited ${code}:\n${stderr}`)
  return stdout
}

export interface ServeProcess {
  child: ChildProcess
  pid: number
  url: string
  /** Stops with SIGTERM (graceful shutdown) and waits for the exit. */
  stop(): Promise<void>
}

const exitOf = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('close', () => resolve())
  })

const stopper = (child: ChildProcess) => async () => {
  const exited = exitOf(child)
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  await exited
  clearTimeout(timer)
}

/** Starts `flip-users serve` on a free port and resolves once it prints "listening on …". */
export const startServe = (env: Record<string, string>): Promise<ServeProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgs(['serve']), {
      env: cliEnv({ PORT: '0', ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    let started = false
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match && !started) {
        started = true
        resolve({ child, pid: child.pid!, url: match[1]!, stop: stopper(child) })
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('close', (code) => {
      if (!started) reject(new Error(`flip-users serve exited with ${code} before listening:\n${output}`))
    })
  })

/** A port that was free a moment ago, for timing a start from spawn to the first ready answer. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/**
 * Spawns `flip-users serve` and polls GET /api/ready until the first 200; the time is from just
 * before the spawn. Returns the running process with the milliseconds it took.
 */
export const timeServeToReady = async (
  env: Record<string, string>,
  options: { timeoutMs?: number; pollMs?: number } = {},
): Promise<{ ms: number; serve: Pick<ServeProcess, 'pid' | 'stop' | 'url'> & { stderr(): string } }> => {
  const port = await freePort()
  const started = performance.now()
  const child = spawn(process.execPath, cliArgs(['serve']), {
    env: cliEnv({ ...env, PORT: String(port), HOST: '127.0.0.1' }),
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  const serve = {
    pid: child.pid!,
    url: `http://127.0.0.1:${port}`,
    stop: stopper(child),
    stderr: () => stderr,
  }
  const deadline = started + (options.timeoutMs ?? 60_000)
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`flip-users serve exited with ${child.exitCode}:\n${stderr}`)
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/ready`)
      await response.arrayBuffer()
      if (response.status === 200) return { ms: performance.now() - started, serve }
    } catch {
      // not listening yet
    }
    await sleep(options.pollMs ?? 10)
  }
  await serve.stop()
  throw new Error(`flip-users serve was not ready within ${options.timeoutMs ?? 60_000} ms:\n${stderr}`)
}

/** The resident set size of a process in KiB, from /proc (Linux); undefined elsewhere. */
export const residentKb = async (pid: number): Promise<number | undefined> => {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
    return match ? Number(match[1]) : undefined
  } catch {
    return undefined
  }
}

/** Samples a process's RSS every `intervalMs` until stopped; reports the peak. */
export const sampleRss = (pid: number, intervalMs = 200) => {
  let peakKb: number | undefined
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      const kb = await residentKb(pid)
      if (kb !== undefined) peakKb = Math.max(peakKb ?? 0, kb)
      await sleep(intervalMs)
    }
  })()
  return {
    async stop(): Promise<number | undefined> {
      stopped = true
      await loop
      return peakKb
    },
  }
}
