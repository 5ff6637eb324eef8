import type { Db } from './database.js'

/** One value per database handle, made on first use and dropped with the handle. */
const perHandle = <Value>() => {
  const values = new WeakMap<Db, Value>()
  return (db: Db, make: () => Value): Value => {
    let value = values.get(db)
    if (value === undefined) {
      value = make()
      values.set(db, value)
    }
    return value
  }
}

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
  const prepared = perHandle<Prepared>()
  return (db) => prepared(db, () => build(db))
}

/**
 * Prepared statements of one family whose SQL depends on a few choices made by code (which
 * fields a transition sets, which writes commit with it): one per shape and handle, built by
 * `build` on first use. A shape is named `<prefix>_<n>`, numbered in this process in the order
 * shapes first appear, so a name always stands for one text. Shapes come from the code's call
 * sites, never from request values, so there are a bounded few.
 */
export const preparedByShape = <Prepared>(prefix: string) => {
  const names = new Map<string, string>()
  const byHandle = perHandle<Map<string, Prepared>>()
  return (db: Db, shape: string, build: (name: string) => Prepared): Prepared => {
    const byShape = byHandle(db, () => new Map())
    let statement = byShape.get(shape)
    if (statement === undefined) {
      let name = names.get(shape)
      if (name === undefined) {
        name = `${prefix}_${names.size + 1}`
        names.set(shape, name)
      }
      statement = build(name)
      byShape.set(shape, statement)
    }
    return statement
  }
}
