import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider'
import { parse } from 'csv-parse/sync'
import { busiestWindow, type ProxiedRequest, startAwsFaultProxy } from '../test/support/aws-fault-proxy.js'
import { startCognitoLocal } from '../test/support/cognito-local.js'
import type { BenchContext, BenchModule, BenchOutcome } from './lib/bench-module.js'
import { requireBuiltCli, sampleRss, spawnCli } from './lib/flip-users-process.js'
import { createFreshDatabase } from './lib/postgres.js'
import { fmt, median } from './lib/stats.js'

const rowsBySize: Record<BenchContext['size'], number> = { full: 10_000, quick: 500, tiny: 20 }

/** The quota the proxy enforces, as the issue sets it: Cognito's default UserCreation and UserList. */
const QUOTA = { AdminCreateUser: 50, ListUsers: 30 } as const

const ADMIN_EMAIL = 'bench-admin@bench.example.org'
const ROW_EMAIL = /^bench\.import\.\d+@bench\.example\.org$/

const csvOf = (rows: number): string =>
  [
    'email,name,organisation,roles',
    ...Array.from(
      { length: rows },
      (_, i) => `bench.import.${i}@bench.example.org,Bench User ${i},Bench Trust,Researcher`,
    ),
  ].join('\n')

interface ResultRow {
  /** The row's line in the import file (the header is line 1). */
  line: string
  email: string
  state: string
  user_id: string
}

export type BulkImportResults = {
  rows: number
  database: 'postgresql' | 'embedded'
  exitCode: number | null
  wallSeconds: number
  /** From the first to the last AdminCreateUser the proxy let through: the paced part alone. */
  createSpanSeconds: number
  /** From the spawn to the first row's creation: start-up, migrations, the file's check. */
  startSeconds: number
  /** From the last row's creation to the exit: the follow-up to final states and the result file. */
  finishSeconds: number
  /** Creations per second over that span: against the quota of 50, the pacing's own efficiency. */
  createRate: number
  /**
   * Creations per second in each tenth of the run, with the emulator's median answer time there:
   * shows whether the pace held throughout or something (the emulator's pool growing) slowed it.
   */
  tenths: { createsPerSecond: number; emulatorMsP50: number }[]
  idealSeconds: number
  utilisationPercent: number
  createsForwarded: number
  throttled: number
  busiestCreateSecond: number
  rowsCompleted: number
  /** Rows that did not end completed with their user in the pool. Must be 0. */
  rowsLost: number
  /** Users in the pool no row accounts for (a registration that created one and forgot it). */
  orphanUsers: number
  importPeakRssMb: number | undefined
}

/** The run's creations split into ten equal parts by count: each part's rate and answer time. */
const byTenth = (creates: readonly ProxiedRequest[]): BulkImportResults['tenths'] => {
  if (creates.length < 20) return []
  return Array.from({ length: 10 }, (_, tenth) => {
    const part = creates.slice(
      Math.floor((tenth * creates.length) / 10),
      Math.floor(((tenth + 1) * creates.length) / 10),
    )
    const seconds = (part.at(-1)!.at - part[0]!.at) / 1000
    const answerMs = part.flatMap((request) =>
      request.answeredAt === undefined ? [] : [request.answeredAt - request.at],
    )
    return { createsPerSecond: (part.length - 1) / seconds, emulatorMsP50: median(answerMs) }
  })
}

/** Every user in the pool, straight from the emulator (which ignores paging and answers all). */
const poolEmails = async (emulator: Awaited<ReturnType<typeof startCognitoLocal>>): Promise<string[]> => {
  const answer = await emulator.admin.send(new ListUsersCommand({ UserPoolId: emulator.pool.userPoolId }))
  return (answer.Users ?? []).map(
    (user) => user.Attributes?.find((attribute) => attribute.Name === 'email')?.Value ?? user.Username ?? '',
  )
}

/**
 * `flip-users users import` of a generated CSV against cognito-local behind a proxy that throttles
 * like Cognito's quota (50 creations/s, 30 list calls/s), with the service paced at that same
 * quota. The bound is the quota, so the figure that matters is utilisation: how close the import
 * comes to rows / 50 seconds without a row lost.
 */
export const bulkImportBench: BenchModule = {
  name: 'bulk-import',
  summary: 'users import of N rows against cognito-local throttled to 50 creations/s, 30 lists/s',
  async run(context): Promise<BenchOutcome> {
    requireBuiltCli()
    const rows = context.rows ?? rowsBySize[context.size]
    const dir = await mkdtemp(path.join(os.tmpdir(), 'flip-users-bench-import-'))
    const emulator = await startCognitoLocal({ store: 'memory' })
    const proxy = await startAwsFaultProxy(emulator.endpoint)
    const database = context.postgresAdminUrl
      ? await createFreshDatabase(context.postgresAdminUrl, 'import')
      : undefined
    try {
      proxy.throttleAbove('AdminCreateUser', QUOTA.AdminCreateUser)
      proxy.throttleAbove('ListUsers', QUOTA.ListUsers)
      proxy.pageListUsers(true)
      const file = path.join(dir, 'users.csv')
      const out = path.join(dir, 'users.results.csv')
      await writeFile(file, csvOf(rows))
      const config = emulator.config(emulator.pool, proxy.url)
      const env: Record<string, string> = {
        AUTH_BACKEND: 'cognito',
        AWS_REGION: config.region,
        AWS_COGNITO_USER_POOL_ID: config.userPoolId,
        AWS_COGNITO_APP_CLIENT_ID: config.appClientId,
        COGNITO_ENDPOINT: proxy.url,
        COGNITO_ISSUER: config.issuer,
        AWS_ACCESS_KEY_ID: 'cognito-local',
        AWS_SECRET_ACCESS_KEY: 'cognito-local',
        COGNITO_RATE_CREATE: String(QUOTA.AdminCreateUser),
        COGNITO_RATE_LIST: String(QUOTA.ListUsers),
        FLIP_ADMIN_EMAIL: ADMIN_EMAIL,
        ...(database ? { DATABASE_URL: database.url } : { DATA_DIR: path.join(dir, 'data') }),
      }

      context.progress(`bulk-import: ${rows} rows, ${database ? 'PostgreSQL' : 'embedded'}…`)
      const started = performance.now()
      const importing = spawnCli(['users', 'import', file, '--out', out], env)
      const rss = sampleRss(importing.pid, 500)
      const exit = await importing.exit
      const ended = performance.now()
      const wallSeconds = (ended - started) / 1000
      const peakKb = await rss.stop()
      await proxy.idle()

      let results: ResultRow[] = []
      try {
        results = parse(await readFile(out, 'utf8'), { columns: true }) as ResultRow[]
      } catch {
        // No result file: every row counts as lost below, and the exit says why.
      }
      const inPool = new Set((await poolEmails(emulator)).filter((email) => ROW_EMAIL.test(email)))
      const completed = results.filter((result) => result.state === 'completed' && inPool.has(result.email))
      const accounted = new Set(results.map((result) => result.email))
      const creates = proxy.requests.filter(
        (request) =>
          request.operation === 'AdminCreateUser' &&
          request.outcome === 'forwarded' &&
          ROW_EMAIL.test(String(request.input.Username)),
      )
      const createSpanSeconds = creates.length > 1 ? (creates.at(-1)!.at - creates[0]!.at) / 1000 : Number.NaN
      const idealSeconds = rows / QUOTA.AdminCreateUser
      const outcome: BulkImportResults = {
        rows,
        database: database ? 'postgresql' : 'embedded',
        exitCode: exit.code,
        wallSeconds,
        createSpanSeconds,
        startSeconds: creates.length > 0 ? (creates[0]!.at - started) / 1000 : Number.NaN,
        finishSeconds: creates.length > 0 ? (ended - creates.at(-1)!.at) / 1000 : Number.NaN,
        createRate: (creates.length - 1) / createSpanSeconds,
        tenths: byTenth(creates),
        idealSeconds,
        utilisationPercent: (idealSeconds / wallSeconds) * 100,
        createsForwarded: creates.length,
        throttled: proxy.requests.filter((request) => request.outcome === 'throttled-by-rate').length,
        busiestCreateSecond: busiestWindow(creates),
        rowsCompleted: completed.length,
        rowsLost: rows - completed.length,
        orphanUsers: [...inPool].filter((email) => !accounted.has(email)).length,
        importPeakRssMb: peakKb === undefined ? undefined : peakKb / 1024,
      }
      const notes = [
        `ideal = rows / ${QUOTA.AdminCreateUser} s (one AdminCreateUser per row); utilisation = ideal / wall, wall from spawn to exit (start-up, migrations and the result file included)`,
        'the service paces itself 5 % under the configured rate, so ~95 % is the ceiling by design',
      ]
      if (outcome.tenths.length > 0)
        notes.push(
          `by tenth of the creations: ${outcome.tenths
            .map((part) => `${fmt(part.createsPerSecond)}/s (${fmt(part.emulatorMsP50)} ms)`)
            .join(', ')} — creations/s (the proxy's median round trip to the emulator)`,
        )
      if (exit.code !== 0)
        notes.push(`the import exited ${exit.code}: ${exit.stderr.trim().split('\n').slice(-3).join(' | ')}`)
      return {
        parameters: { rows, quota: QUOTA, database: outcome.database },
        results: outcome,
        table: {
          columns: [
            'rows',
            'db',
            'wall s',
            'ideal s',
            'util %',
            'start s',
            'create span s',
            'creates/s',
            'finish s',
            'busiest 1 s',
            'throttled',
            'lost',
            'orphans',
            'RSS MB',
          ],
          rows: [
            [
              String(rows),
              outcome.database,
              fmt(wallSeconds),
              fmt(idealSeconds),
              fmt(outcome.utilisationPercent),
              fmt(outcome.startSeconds),
              fmt(createSpanSeconds),
              fmt(outcome.createRate),
              fmt(outcome.finishSeconds),
              String(outcome.busiestCreateSecond),
              String(outcome.throttled),
              String(outcome.rowsLost),
              String(outcome.orphanUsers),
              fmt(outcome.importPeakRssMb, 0),
            ],
          ],
        },
        notes,
      }
    } finally {
      await proxy.close()
      await emulator.stop()
      await database?.drop()
      await rm(dir, { recursive: true, force: true })
    }
  },
}
