import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { BenchModule, BenchOutcome, BenchSize } from './lib/bench-module.js'
import { postgresCpuByPid, processCpuMs } from './lib/cpu.js'
import { repoRoot, requireBuiltCli } from './lib/flip-users-process.js'
import { parseSideBySide } from './lib/side-by-side-output.js'
import { fmt } from './lib/stats.js'

// The shared FLIP-shaped reference (../shared/bench/README.md): it starts the FastAPI reference,
// flip-users (`serve` on PostgreSQL, local provider, port 18903) and pgbench's raw-SQL floor on
// the machine's PostgreSQL 15, with one load generator, levels alternating.
const SCRIPT = path.resolve(repoRoot, '../shared/bench/side-by-side.sh')
const FLIP_USERS_PORT = '18903'

const sizes: Record<BenchSize, { seconds: number; levels: number[] }> = {
  full: { seconds: 10, levels: [1, 16, 64] },
  quick: { seconds: 4, levels: [16] },
  tiny: { seconds: 2, levels: [16] },
}

const SAMPLE_MS = 100

const pids = async (): Promise<number[]> =>
  (await readdir('/proc').catch(() => [] as string[])).filter((entry) => /^\d+$/.test(entry)).map(Number)

const commandLineOf = async (pid: number): Promise<string[]> =>
  (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0')

/** The flip-users server the script started: `node dist/cli/main.js serve` with its PORT. */
const flipUsersServer = async (): Promise<number | undefined> => {
  for (const pid of await pids()) {
    const command = await commandLineOf(pid)
    if (!command.some((arg) => arg.endsWith('dist/cli/main.js')) || !command.includes('serve')) continue
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '')
    if (environ.split('\0').includes(`PORT=${FLIP_USERS_PORT}`)) return pid
  }
  return undefined
}

/** The level the load generator is driving flip-users at now (its `CONNECTIONS` argument). */
const flipUsersLoadLevel = async (seconds: number): Promise<number | undefined> => {
  for (const pid of await pids()) {
    const command = await commandLineOf(pid)
    const at = command.findIndex((arg) => arg.endsWith('load.mjs'))
    if (at < 0 || !command[at + 1]?.endsWith(`:${FLIP_USERS_PORT}`)) continue
    // load.mjs URL TOKEN SECONDS CONNECTIONS; the warm-up runs for 3 s and is not a level.
    if (Number(command[at + 3]) !== seconds) return undefined
    return Number(command[at + 4])
  }
  return undefined
}

const sum = (values: Iterable<number>) => [...values].reduce((total, value) => total + value, 0)

/**
 * CPU milliseconds the flip-users server and PostgreSQL used while the load generator drove
 * flip-users at each level, from /proc, sampled every 100 ms beside the script: the reference's
 * and the floor's phases are not counted.
 */
const watchFlipUsersCpu = (seconds: number) => {
  const byLevel = new Map<number, { service: number; postgres: number }>()
  let running = true
  const watching = (async () => {
    let server: number | undefined
    let previous: { service: number; postgres: Map<number, number> } | undefined
    while (running) {
      server ??= await flipUsersServer()
      const level = server === undefined ? undefined : await flipUsersLoadLevel(seconds)
      const now =
        server === undefined
          ? undefined
          : { service: (await processCpuMs(server)) ?? 0, postgres: await postgresCpuByPid() }
      if (level !== undefined && now !== undefined && previous !== undefined) {
        const spent = byLevel.get(level) ?? { service: 0, postgres: 0 }
        spent.service += now.service - previous.service
        // Per backend, so a backend that ended or began meanwhile does not count as negative.
        spent.postgres += sum(
          [...now.postgres].map(([pid, ms]) => Math.max(0, ms - (previous!.postgres.get(pid) ?? ms))),
        )
        byLevel.set(level, spent)
      }
      previous = now
      await sleep(SAMPLE_MS)
    }
  })()
  return {
    async stop() {
      running = false
      await watching
      return byLevel
    },
  }
}

const runScript = (seconds: number, levels: number[]): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, String(seconds), levels.join(' ')], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`side-by-side.sh exited ${code}:\n${(stdout + stderr).slice(-2000)}`)),
    )
  })

/**
 * flip-users beside the FLIP-shaped FastAPI reference and the raw-SQL floor, on one PostgreSQL
 * with one load generator: the ratios docs/benchmarks.md reports, and the CPU per registration
 * of the service and of PostgreSQL while flip-users was under load.
 */
export const sideBySideBench: BenchModule = {
  name: 'side-by-side',
  summary: 'POST /api/step/users: flip-users vs. the FLIP-shaped FastAPI reference and the raw-SQL floor',
  async run(context): Promise<BenchOutcome> {
    if (!existsSync(SCRIPT)) throw new Error(`the shared reference is not here: ${SCRIPT}`)
    requireBuiltCli()
    const size = sizes[context.size]
    context.progress(
      `side-by-side: ${size.seconds} s per server and level, levels ${size.levels.join(', ')} (about ${Math.ceil((size.seconds * 3 * size.levels.length + 20) / 60)} min)…`,
    )
    const cpu = watchFlipUsersCpu(size.seconds)
    let stdout: string
    let cpuByLevel: Awaited<ReturnType<typeof cpu.stop>>
    try {
      stdout = await runScript(size.seconds, size.levels)
    } finally {
      cpuByLevel = await cpu.stop()
    }
    const levels = parseSideBySide(stdout).map((level) => {
      const spent = cpuByLevel.get(level.connections)
      const perRegistration = (ms: number | undefined) =>
        ms === undefined || level.flipUsers.ok === 0 ? undefined : ms / level.flipUsers.ok
      return {
        ...level,
        flipUsersPerFlip: level.flipUsers.rps / level.flipReference.rps,
        flipUsersPerFloor:
          level.floorPerSecond === undefined ? undefined : level.flipUsers.rps / level.floorPerSecond,
        cpuMsPerRegistration: {
          service: perRegistration(spent?.service),
          postgres: perRegistration(spent?.postgres),
        },
      }
    })
    return {
      parameters: { ...size, script: path.relative(repoRoot, SCRIPT), identityProvider: 'local' },
      results: { levels },
      table: {
        columns: [
          'conns',
          'FLIP ref reg/s',
          'flip-users reg/s',
          'floor reg/s',
          'flip-users/FLIP',
          'flip-users/floor',
          'p50 ms',
          'p99 ms',
          'p99/p50',
          'CPU ms/reg svc',
          'pg',
          'RSS peak MB',
        ],
        rows: levels.map((level) => [
          String(level.connections),
          fmt(level.flipReference.rps),
          fmt(level.flipUsers.rps),
          fmt(level.floorPerSecond),
          fmt(level.flipUsersPerFlip, 2),
          fmt(level.flipUsersPerFloor, 2),
          fmt(level.flipUsers.p50),
          fmt(level.flipUsers.p99),
          fmt(level.flipUsers.p99 / level.flipUsers.p50, 2),
          fmt(level.cpuMsPerRegistration.service, 2),
          fmt(level.cpuMsPerRegistration.postgres, 2),
          fmt(level.flipUsersRssKb === undefined ? undefined : level.flipUsersRssKb / 1024),
        ]),
      },
      notes: [
        "FLIP ref: ../shared/bench/flip-py (FastAPI + sqlmodel, one uvicorn worker, the IdP a table); floor: pgbench running the FLIP-shaped registration's raw SQL (3 commits)",
        'CPU ms/reg: /proc CPU time of the flip-users server (svc) and of every PostgreSQL process (pg) while the load generator drove flip-users, per registration it answered',
        'ratios from one run only: the machine is shared and noisy',
      ],
    }
  },
}
