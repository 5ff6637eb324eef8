import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The server benchmarks may create databases on: BENCH_DATABASE_URL, else TEST_DATABASE_URL. */
export const postgresAdminUrlFromEnv = (): string | undefined =>
  process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || undefined

const runAdmin = async (adminUrl: string, statement: string): Promise<void> => {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

export interface FreshDatabase {
  url: string
  drop(): Promise<void>
}

/** An empty database of its own, so a run never measures tables an earlier run filled. */
export const createFreshDatabase = async (adminUrl: string, label: string): Promise<FreshDatabase> => {
  const name = `flip_users_bench_${label}_${randomBytes(4).toString('hex')}`
  await runAdmin(adminUrl, `CREATE DATABASE ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.href,
    drop: () => runAdmin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  }
}

/** Runs `fn` on a fresh database and drops it afterwards, whatever happens. */
export const withFreshDatabase = async <T>(
  adminUrl: string,
  label: string,
  fn: (url: string) => Promise<T>,
): Promise<T> => {
  const database = await createFreshDatabase(adminUrl, label)
  try {
    return await fn(database.url)
  } finally {
    await database.drop()
  }
}
