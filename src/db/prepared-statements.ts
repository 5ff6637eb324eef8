import type { Db } from './database.js'

/**
 * A hot-path statement built once per database handle and reused: drizzle assembles its SQL
 * text once instead of on every request, and on node-postgres the name makes each pooled
 * connection parse and plan it once (a named prepared statement; PGlite runs the same text).
 * Kept per handle because a prepared query belongs to the handle that prepared it; a
 * transaction is a handle of its own, so one prepared inside it lives as long as it does.
 *
 * The name must be unique to the statement: node-postgres refuses one name for two texts. A
 * pooler in transaction mode (PgBouncer) does not keep named statements; point the service at
 * PostgreSQL itself, or a session-mode pool.
 */
export const preparedOnce = <Prepared>(build: (db: Db) => Prepared): ((db: Db) => Prepared) => {
  const prepared = new WeakMap<Db, Prepared>()
  return (db) => {
    let statement = prepared.get(db)
    if (statement === undefined) {
      statement = build(db)
      prepared.set(db, statement)
    }
    return statement
  }
}
