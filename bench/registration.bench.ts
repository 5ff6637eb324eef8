import { randomBytes } from 'node:crypto'
import autocannon from 'autocannon'
import type { BenchContext, BenchModule, BenchOutcome } from './lib/bench-module.js'
import { startCpuWatch } from './lib/cpu.js'
import { requireBuiltCli, residentKb, runCli, sampleRss, startServe } from './lib/flip-users-process.js'
import { withFreshDatabase } from './lib/postgres.js'
import { countRows, countRowsWhenSettled, rowsPerRegistration } from './lib/row-counts.js'
import { fmt, type LatencySummary, summariseLatencies } from './lib/stats.js'
import { type FloorRun, RESEARCHER_ROLE_ID, runFloor, SERVICE_POOL_SIZE } from './registration-floor.js'

const ADMIN_EMAIL = 'bench-admin@bench.example.org'
const WARMUP_CONNECTIONS = 16

export interface Sizes {
  /** Concurrent connections, one run each. */
  levels: number[]
  /** Seconds per level, or… */
  durationSeconds?: number
  /** …a fixed number of registrations per level. */
  amount?: number
  /** Seconds of unrecorded load at 16 connections first: JIT, pools and pg-boss's start-up work settle. */
  warmupSeconds: number
}

const sizes: Record<BenchContext['size'], Sizes> = {
  full: { levels: [1, 16, 64], durationSeconds: 10, warmupSeconds: 3 },
  quick: { levels: [1, 16, 64], durationSeconds: 3, warmupSeconds: 1 },
  tiny: { levels: [1], amount: 20, warmupSeconds: 0 },
}

export interface ServiceRun {
  connections: number
  requests: number
  registrations: number
  non2xx: number
  errors: number
  seconds: number
  perSecond: number
  latencyMs: LatencySummary
  rssPeakKb: number | undefined
  rssAfterKb: number | undefined
  /** The whole machine's CPU use during the run, all cores, 0–100 %. */
  machineBusyPercent: number | undefined
  /**
   * CPU time per registration (user + system): the service process, the load generator (this
   * process), the local PostgreSQL, and the rest of the machine (kernel, anything else running).
   */
  cpuMsPerRegistration: {
    service: number | undefined
    loadGenerator: number
    postgres: number | undefined
    rest: number | undefined
  }
}

/** Drives POST /api/step/users with autocannon, every request a new email. */
export const driveService = async (
  url: string,
  token: string,
  pid: number,
  level: Omit<Sizes, 'levels'> & { connections: number },
  runId: string,
): Promise<ServiceRun> => {
  let n = 0
  const body = () =>
    JSON.stringify({
      email: `svc-${runId}-${level.connections}-${n++}@bench.example.org`,
      name: 'Bench User',
      organisation: 'Bench Org',
      roles: [RESEARCHER_ROLE_ID],
    })
  const latencies: number[] = []
  let registrations = 0
  const rss = sampleRss(pid)
  const cpu = await startCpuWatch(pid)
  const options: autocannon.Options = {
    url: `${url}/api/step/users`,
    connections: level.connections,
    pipelining: 1,
    timeout: 30,
    ...(level.amount !== undefined ? { amount: level.amount } : { duration: level.durationSeconds ?? 10 }),
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    requests: [{ method: 'POST', setupRequest: (request) => ({ ...request, body: body() }) }],
  }
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (error, done) => (error ? reject(error) : resolve(done)))
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime)
      if (statusCode === 201) registrations++
    })
  })
  const { machineBusyPercent, machineBusyCpuMs, processCpuMs, selfCpuMs, postgresCpuMs } = await cpu.stop()
  const rssPeakKb = await rss.stop()
  const seconds = result.duration
  const perRegistration = (ms: number | undefined) =>
    ms === undefined || registrations === 0 ? undefined : ms / registrations
  return {
    connections: level.connections,
    requests: result.requests.total,
    registrations,
    non2xx: result.non2xx,
    errors: result.errors,
    seconds,
    perSecond: registrations / seconds,
    latencyMs: summariseLatencies(latencies),
    rssPeakKb,
    rssAfterKb: await residentKb(pid),
    machineBusyPercent,
    cpuMsPerRegistration: {
      service: perRegistration(processCpuMs),
      loadGenerator: selfCpuMs / Math.max(registrations, 1),
      postgres: perRegistration(postgresCpuMs),
      rest: perRegistration(
        machineBusyCpuMs === undefined || processCpuMs === undefined
          ? undefined
          : machineBusyCpuMs - processCpuMs - selfCpuMs - (postgresCpuMs ?? 0),
      ),
    },
  }
}

const runService = async (adminUrl: string, size: Sizes, runId: string, context: BenchContext) =>
  withFreshDatabase(adminUrl, 'http', async (databaseUrl) => {
    const env = { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', FLIP_ADMIN_EMAIL: ADMIN_EMAIL }
    const serve = await startServe(env)
    try {
      const token = (await runCli(['token', '--email', ADMIN_EMAIL, '--ttl', '2h'], env)).trim()
      const rssIdleKb = await residentKb(serve.pid)
      if (size.warmupSeconds > 0) {
        context.progress(`registration: service, warming up for ${size.warmupSeconds} s…`)
        const warmup = {
          connections: WARMUP_CONNECTIONS,
          durationSeconds: size.warmupSeconds,
          warmupSeconds: 0,
        }
        await driveService(serve.url, token, serve.pid, warmup, `${runId}w`)
      }
      const runs: ServiceRun[] = []
      const before = await countRows(databaseUrl)
      for (const connections of size.levels) {
        context.progress(`registration: service, ${connections} connection(s)…`)
        runs.push(await driveService(serve.url, token, serve.pid, { ...size, connections }, runId))
      }
      return {
        rssIdleKb,
        runs,
        rowsPerRegistration: rowsPerRegistration(before, await countRowsWhenSettled(databaseUrl)),
      }
    } finally {
      await serve.stop()
    }
  })

const runFloors = async (adminUrl: string, size: Sizes, runId: string, context: BenchContext) =>
  withFreshDatabase(adminUrl, 'floor', async (databaseUrl) => {
    await runCli(['migrate'], { DATABASE_URL: databaseUrl })
    if (size.warmupSeconds > 0) {
      context.progress(`registration: floor, warming up for ${size.warmupSeconds} s…`)
      const warmup = { connections: WARMUP_CONNECTIONS, durationSeconds: size.warmupSeconds }
      await runFloor(databaseUrl, { ...warmup, runId: `${runId}w` })
    }
    const runs: FloorRun[] = []
    const before = await countRows(databaseUrl)
    for (const connections of size.levels) {
      context.progress(`registration: floor (SQL only), ${connections} connection(s)…`)
      runs.push(await runFloor(databaseUrl, { ...size, connections, runId }))
    }
    // Each run also makes its caller (an identity holding Admin): rows that are no registration's.
    const after = await countRows(databaseUrl)
    after.user_role -= runs.length
    after.local_identity -= runs.length
    return { runs, rowsPerRegistration: rowsPerRegistration(before, after) }
  })

const mb = (kb: number | undefined) => (kb === undefined ? undefined : kb / 1024)

/**
 * Registration throughput and latency over real HTTP against PostgreSQL with the `local`
 * identity provider, beside the floor: the same SQL through `pg`, with no HTTP and no IdP.
 */
export const registrationBench: BenchModule = {
  name: 'registration',
  summary: 'POST /api/step/users over HTTP at 1/16/64 connections vs. the same SQL through pg (the floor)',
  async run(context): Promise<BenchOutcome> {
    if (!context.postgresAdminUrl)
      throw new Error(
        'the registration benchmark needs PostgreSQL: set BENCH_DATABASE_URL or TEST_DATABASE_URL',
      )
    requireBuiltCli()
    const size = sizes[context.size]
    const runId = randomBytes(3).toString('hex')
    const service = await runService(context.postgresAdminUrl, size, runId, context)
    const floor = await runFloors(context.postgresAdminUrl, size, runId, context)
    const floorMirrorsService =
      JSON.stringify(service.rowsPerRegistration) === JSON.stringify(floor.rowsPerRegistration)
    const levels = service.runs.map((run, i) => {
      const floorRun = floor.runs[i]!
      return {
        connections: run.connections,
        service: run,
        floor: floorRun,
        ratio: run.perSecond / floorRun.perSecond,
      }
    })
    return {
      parameters: {
        ...size,
        floorPoolSize: SERVICE_POOL_SIZE,
        database: 'postgresql',
        identityProvider: 'local',
      },
      results: {
        rssIdleKb: service.rssIdleKb,
        levels,
        rowsPerRegistration: { service: service.rowsPerRegistration, floor: floor.rowsPerRegistration },
        floorMirrorsService,
      },
      table: {
        columns: [
          'conns',
          'reg/s',
          'p50 ms',
          'p95 ms',
          'p99 ms',
          'non-2xx',
          'RSS peak MB',
          'RSS after MB',
          'CPU ms/reg svc',
          'gen',
          'pg',
          'rest',
          'busy %',
          'floor reg/s',
          'floor p50 ms',
          'floor busy %',
          'floor CPU ms/reg client',
          'pg',
          'rest',
          'service/floor',
        ],
        rows: levels.map(({ connections, service: s, floor: f, ratio }) => [
          String(connections),
          fmt(s.perSecond),
          fmt(s.latencyMs.p50),
          fmt(s.latencyMs.p95),
          fmt(s.latencyMs.p99),
          String(s.non2xx),
          fmt(mb(s.rssPeakKb)),
          fmt(mb(s.rssAfterKb)),
          fmt(s.cpuMsPerRegistration.service),
          fmt(s.cpuMsPerRegistration.loadGenerator),
          fmt(s.cpuMsPerRegistration.postgres),
          fmt(s.cpuMsPerRegistration.rest),
          fmt(s.machineBusyPercent, 0),
          fmt(f.perSecond),
          fmt(f.latencyMs.p50),
          fmt(f.machineBusyPercent, 0),
          fmt(f.cpuMsPerRegistration.client),
          fmt(f.cpuMsPerRegistration.postgres),
          fmt(f.cpuMsPerRegistration.rest),
          fmt(ratio, 2),
        ]),
      },
      notes: [
        ...(floorMirrorsService
          ? []
          : [
              `THE FLOOR IS STALE: rows per registration differ (service ${JSON.stringify(service.rowsPerRegistration)}, floor ${JSON.stringify(floor.rowsPerRegistration)}); update bench/registration-floor.ts`,
            ]),
        `server RSS before the first run: ${fmt(mb(service.rssIdleKb))} MB`,
        `floor: the 5 statements (3 commits) of one registration through pg, pool of ${SERVICE_POOL_SIZE} like the service's; service/floor = registrations/s over floor registrations/s`,
        'busy %: the whole machine (every core) during the run, load generator and PostgreSQL included; CPU ms/reg: CPU time per registration of the service (svc), the load generator (gen: autocannon; for the floor, the pg client), the local PostgreSQL (pg), and the rest of the machine (rest: kernel, anything else running — a large rest means the figures are not clean)',
      ],
    }
  },
}
