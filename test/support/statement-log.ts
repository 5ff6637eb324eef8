import type { Database } from '../../src/db/database.js'

export interface LoggedStatement {
  text: string
  /** The prepared statement's name, when the driver was given one (node-postgres only). */
  name?: string
  /** Sent inside an explicit transaction (between BEGIN and COMMIT/ROLLBACK). */
  inTransaction: boolean
}

export interface StatementLog {
  readonly statements: readonly LoggedStatement[]
  /** Round trips: every statement sent, BEGIN and COMMIT included. */
  roundTrips(): number
  /**
   * Commits that wrote: each COMMIT, and each statement outside a transaction that writes (an
   * autocommitted INSERT / UPDATE / DELETE, or a CTE holding one).
   */
  writeCommits(): number
  reset(): void
  stop(): void
}

const textOf = (query: unknown): string =>
  typeof query === 'string' ? query : String((query as { text?: string })?.text ?? '')

const nameOf = (query: unknown): string | undefined => {
  const name = (query as { name?: unknown } | null)?.name
  return typeof name === 'string' && name !== '' ? name : undefined
}

const writes = (text: string) => /\b(insert|update|delete)\b/i.test(text)
// The job engine's own polling runs on its own schema; only the service's statements count.
const isJobEngine = (text: string) => /pgboss/i.test(text)

/**
 * Records the statements the service sends on `database`, at the driver: node-postgres' pool
 * (its autocommit queries, and the clients it lends for transactions) or PGlite's client (whose
 * `transaction` sends BEGIN and COMMIT itself). A boundary the project does not own, observed,
 * not replaced: every call goes on to the real driver.
 */
export const recordStatements = (database: Database): StatementLog => {
  const statements: LoggedStatement[] = []
  const restores: (() => void)[] = []
  const log = (text: string, inTransaction: boolean, name?: string) => {
    if (!isJobEngine(text)) statements.push({ text: text.trim(), inTransaction, ...(name ? { name } : {}) })
  }

  if (database.kind === 'postgres') {
    const pool = database.pool as unknown as Record<string, (...args: unknown[]) => unknown>
    const query = pool.query!
    const connect = pool.connect!
    pool.query = function (this: unknown, ...args: unknown[]) {
      log(textOf(args[0]), false, nameOf(args[0]))
      return query.apply(this, args)
    }
    pool.connect = function (this: unknown, ...args: unknown[]) {
      // The pool's own `query` borrows a client by callback: counted above already.
      if (typeof args.at(-1) === 'function') return connect.apply(this, args)
      return lend.apply(this, args)
    }
    const lend = async function (this: unknown, ...args: unknown[]) {
      const client = (await (connect as (...a: unknown[]) => Promise<unknown>).apply(this, args)) as Record<
        string,
        (...a: unknown[]) => unknown
      >
      const clientQuery = client.query!
      let inTransaction = false
      client.query = function (this: unknown, ...queryArgs: unknown[]) {
        const text = textOf(queryArgs[0])
        if (/^\s*begin\b/i.test(text)) inTransaction = true
        log(text, inTransaction, nameOf(queryArgs[0]))
        if (/^\s*(commit|rollback)\b/i.test(text)) inTransaction = false
        return clientQuery.apply(this, queryArgs)
      }
      restores.push(() => {
        client.query = clientQuery
      })
      return client
    }
    restores.push(() => {
      pool.query = query
      pool.connect = connect
    })
  } else {
    const pglite = database.pglite as unknown as Record<string, (...args: unknown[]) => unknown>
    const query = pglite.query!
    const exec = pglite.exec!
    const transaction = pglite.transaction!
    let depth = 0
    pglite.query = function (this: unknown, ...args: unknown[]) {
      log(textOf(args[0]), depth > 0)
      return query.apply(this, args)
    }
    pglite.exec = function (this: unknown, ...args: unknown[]) {
      log(textOf(args[0]), depth > 0)
      return exec.apply(this, args)
    }
    pglite.transaction = async function (this: unknown, ...args: unknown[]) {
      const body = args[0] as (tx: Record<string, (...a: unknown[]) => unknown>) => Promise<unknown>
      log('BEGIN', true)
      depth++
      try {
        const result = await (transaction as (...a: unknown[]) => Promise<unknown>).call(
          this,
          async (tx: Record<string, (...a: unknown[]) => unknown>) => {
            const txQuery = tx.query!
            const txExec = tx.exec!
            tx.query = (...queryArgs: unknown[]) => {
              log(textOf(queryArgs[0]), true)
              return txQuery.apply(tx, queryArgs)
            }
            tx.exec = (...queryArgs: unknown[]) => {
              log(textOf(queryArgs[0]), true)
              return txExec.apply(tx, queryArgs)
            }
            return body(tx)
          },
        )
        log('COMMIT', true)
        return result
      } catch (error) {
        log('ROLLBACK', true)
        throw error
      } finally {
        depth--
      }
    }
    restores.push(() => {
      pglite.query = query
      pglite.exec = exec
      pglite.transaction = transaction
    })
  }

  return {
    statements,
    roundTrips: () => statements.length,
    writeCommits: () =>
      statements.filter(
        (statement) =>
          /^commit\b/i.test(statement.text) || (!statement.inTransaction && writes(statement.text)),
      ).length,
    reset: () => {
      statements.length = 0
    },
    stop: () => {
      for (const restore of restores.reverse()) restore()
    },
  }
}
