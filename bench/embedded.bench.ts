import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { BenchContext, BenchModule, BenchOutcome } from './lib/bench-module.js'
import { requireBuiltCli, residentKb, runCli, timeServeToReady } from './lib/flip-users-process.js'
import { withFreshDatabase } from './lib/postgres.js'
import { fmt } from './lib/stats.js'
import { driveService, type ServiceRun } from './registration.bench.js'

const ADMIN_EMAIL = 'bench-admin@bench.example.org'
/** Registrations at each number of concurrent clients, in this order, on one server. */
const sizes: Record<BenchContext['size'], { clients: number; amount: number }[]> = {
  full: [
    { clients: 1, amount: 200 },
    { clients: 8, amount: 800 },
  ],
  quick: [
    { clients: 1, amount: 50 },
    { clients: 8, amount: 200 },
  ],
  tiny: [{ clients: 1, amount: 10 }],
}
/** How long the server is left alone before its idle RSS is read (pg-boss's start-up work settles). */
const SETTLE_MS = 2_000

type Mode = 'embedded' | 'postgresql'

export interface ModeRun {
  mode: Mode
  /** Spawn to the first 200 from /api/ready on a new data directory (or an empty database)… */
  newStartMs: number
  /** …and on the same one again, after a graceful stop. */
  existingStartMs: number
  /** VmRSS and VmHWM (the peak so far) after the first start settled, before any registration. */
  rssIdleKb: number | undefined
  hwmIdleKb: number | undefined
  runs: ServiceRun[]
  /** After every registration: the RSS then, and the process's peak since it was spawned. */
  rssAfterKb: number | undefined
  hwmAfterKb: number | undefined
  /** The restarted server's RSS once settled. */
  rssExistingIdleKb: number | undefined
}

const statusKb = async (pid: number, field: 'VmHWM'): Promise<number | undefined> => {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(
      await readFile(`/proc/${pid}/status`, 'utf8'),
    )
    return match ? Number(match[1]) : undefined
  } catch {
    return undefined
  }
}

/** The admin token the embedded banner prints (`flip-users token` cannot run beside it). */
const bannerToken = (stderr: string): string => {
  const match = /Admin token for [^\n]*\n\s+(\S+)/.exec(stderr)
  if (!match) throw new Error(`no admin token in the banner:\n${stderr}`)
  return match[1]!
}

const runMode = async (
  mode: Mode,
  env: Record<string, string>,
  levels: { clients: number; amount: number }[],
  context: BenchContext,
): Promise<ModeRun> => {
  const fullEnv = { LOG_LEVEL: 'warn', FLIP_ADMIN_EMAIL: ADMIN_EMAIL, ...env }
  const runId = randomBytes(3).toString('hex')
  context.progress(
    `embedded: ${mode}, start on a new ${mode === 'embedded' ? 'data directory' : 'database'}…`,
  )
  const first = await timeServeToReady(fullEnv)
  const runs: ServiceRun[] = []
  let idle: Pick<ModeRun, 'rssIdleKb' | 'hwmIdleKb' | 'rssAfterKb' | 'hwmAfterKb'>
  try {
    await sleep(SETTLE_MS)
    const rssIdleKb = await residentKb(first.serve.pid)
    const hwmIdleKb = await statusKb(first.serve.pid, 'VmHWM')
    const token =
      mode === 'embedded'
        ? bannerToken(first.serve.stderr())
        : (await runCli(['token', '--email', ADMIN_EMAIL, '--ttl', '2h'], fullEnv)).trim()
    for (const level of levels) {
      context.progress(`embedded: ${mode}, ${level.amount} registrations from ${level.clients} client(s)…`)
      const started = performance.now()
      const run = await driveService(
        first.serve.url,
        token,
        first.serve.pid,
        { connections: level.clients, amount: level.amount, warmupSeconds: 0 },
        runId,
      )
      // autocannon's own duration is whole seconds: too coarse for a few hundred registrations.
      const seconds = (performance.now() - started) / 1000
      runs.push({ ...run, seconds, perSecond: run.registrations / seconds })
    }
    await sleep(SETTLE_MS)
    idle = {
      rssIdleKb,
      hwmIdleKb,
      rssAfterKb: await residentKb(first.serve.pid),
      hwmAfterKb: await statusKb(first.serve.pid, 'VmHWM'),
    }
  } finally {
    await first.serve.stop()
  }
  context.progress(`embedded: ${mode}, start again on the same one…`)
  const second = await timeServeToReady(fullEnv)
  try {
    await sleep(SETTLE_MS)
    return {
      mode,
      newStartMs: first.ms,
      existingStartMs: second.ms,
      ...idle,
      runs,
      rssExistingIdleKb: await residentKb(second.serve.pid),
    }
  } finally {
    await second.serve.stop()
  }
}

const embeddedRun = async (levels: { clients: number; amount: number }[], context: BenchContext) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'flip-users-bench-embedded-'))
  try {
    return await runMode('embedded', { DATA_DIR: dataDir }, levels, context)
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
}

const mb = (kb: number | undefined) => fmt(kb === undefined ? undefined : kb / 1024, 0)

/**
 * What a new user meets: `serve` on a new data directory (PGlite), its start to ready, its RSS
 * idle and through registrations at 1 and 8 clients, and a restart; PostgreSQL mode beside it.
 */
export const embeddedBench: BenchModule = {
  name: 'embedded',
  summary:
    'embedded (PGlite) serve: start to ready on a new and an existing data directory, RSS idle and through registrations at 1 and 8 clients; PostgreSQL beside it',
  async run(context): Promise<BenchOutcome> {
    requireBuiltCli()
    const levels = sizes[context.size]
    const notes: string[] = []
    const results: ModeRun[] = [await embeddedRun(levels, context)]
    const adminUrl = context.postgresAdminUrl
    if (adminUrl)
      results.push(
        await withFreshDatabase(adminUrl, 'embedded', (url) =>
          runMode('postgresql', { DATABASE_URL: url }, levels, context),
        ),
      )
    else notes.push('PostgreSQL skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL')
    const perClients = (run: ModeRun, clients: number) => run.runs.find((r) => r.connections === clients)
    return {
      parameters: { levels, settleMs: SETTLE_MS, identityProvider: 'local' },
      results: { modes: results },
      table: {
        columns: [
          'mode',
          'ready new ms',
          'ready existing ms',
          'RSS idle MB',
          'peak idle MB',
          ...levels.flatMap((l) => [`reg/s ${l.clients}c`, `p50 ms ${l.clients}c`]),
          'non-2xx',
          'RSS after MB',
          'peak after MB',
          'RSS restarted MB',
        ],
        rows: results.map((r) => [
          r.mode,
          fmt(r.newStartMs, 0),
          fmt(r.existingStartMs, 0),
          mb(r.rssIdleKb),
          mb(r.hwmIdleKb),
          ...levels.flatMap((l) => {
            const run = perClients(r, l.clients)
            return [fmt(run?.perSecond), fmt(run?.latencyMs.p50)]
          }),
          String(r.runs.reduce((sum, run) => sum + run.non2xx, 0)),
          mb(r.rssAfterKb),
          mb(r.hwmAfterKb),
          mb(r.rssExistingIdleKb),
        ]),
      },
      notes: [
        ...notes,
        `registrations: ${levels.map((l) => `${l.amount} from ${l.clients} client(s)`).join(', then ')}, on one server, POST /api/step/users with AUTH_BACKEND=local`,
        `RSS (VmRSS) ${SETTLE_MS / 1000} s after ready and after the registrations; peak = VmHWM, the most the process held since it was spawned (a new directory's first start included)`,
        'ready: spawn of flip-users serve to the first 200 from GET /api/ready, polled every 10 ms',
      ],
    }
  },
}
