import { sql } from 'drizzle-orm'
import type { Database } from '../../src/db/database.js'
import { rowsOf } from './sql-rows.js'

const faultyTables = ['user_role', 'user_profile', 'local_identity', 'registration_event'] as const
export type FaultyTable = (typeof faultyTables)[number]

/**
 * Faults raised by the real database: a trigger on `table` that fails the next `times` inserts
 * with the given SQLSTATE (or sleeps first, to hold a process mid-step). Drivers, Drizzle and
 * our classification see exactly what a real failure looks like.
 */
export const installDatabaseFaults = async (database: Database): Promise<void> => {
  await database.db.execute(sql`
    CREATE TABLE IF NOT EXISTS test_fault (
      table_name text PRIMARY KEY,
      sqlstate text NOT NULL,
      from_count bigint NOT NULL DEFAULT 0,
      until_count bigint NOT NULL,
      sleep_seconds integer NOT NULL DEFAULT 0,
      probability float8 NOT NULL DEFAULT 1
    )`)
  // A sequence counts fired faults: nextval survives the rollback the fault itself causes.
  await database.db.execute(sql`CREATE SEQUENCE IF NOT EXISTS test_fault_fired`)
  await database.db.execute(sql`
    CREATE OR REPLACE FUNCTION test_fault_raise() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE f test_fault%ROWTYPE; n bigint;
    BEGIN
      SELECT * INTO f FROM test_fault WHERE table_name = TG_TABLE_NAME;
      IF NOT FOUND THEN RETURN NEW; END IF;
      n := nextval('test_fault_fired');
      IF n > f.from_count AND n <= f.until_count AND random() < f.probability THEN
        IF f.sleep_seconds > 0 THEN PERFORM pg_sleep(f.sleep_seconds); END IF;
        IF f.sqlstate <> '00000' THEN
          RAISE EXCEPTION 'injected fault on %', TG_TABLE_NAME USING ERRCODE = f.sqlstate;
        END IF;
      END IF;
      RETURN NEW;
    END $$`)
  for (const table of faultyTables) {
    await database.db.execute(sql.raw(`DROP TRIGGER IF EXISTS test_fault_${table} ON ${table}`))
    await database.db.execute(
      sql.raw(
        `CREATE TRIGGER test_fault_${table} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION test_fault_raise()`,
      ),
    )
  }
}

/**
 * The next `times` inserts into `table` fail with `sqlstate` ('00000': only sleep), after letting
 * `skip` through. Inserts are counted on one sequence across every table with a fault set, so
 * `skip` is exact when only `table` has one.
 */
export const injectDatabaseFault = async (
  database: Database,
  table: FaultyTable,
  sqlstate: string,
  times: number,
  sleepSeconds = 0,
  skip = 0,
): Promise<void> => {
  await database.db.execute(sql`
    WITH fired AS (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END AS n FROM test_fault_fired)
    INSERT INTO test_fault (table_name, sqlstate, from_count, until_count, sleep_seconds)
    SELECT ${table}, ${sqlstate}, n + ${skip}, n + ${skip} + ${times}, ${sleepSeconds} FROM fired
    ON CONFLICT (table_name) DO UPDATE SET sqlstate = excluded.sqlstate, from_count = excluded.from_count,
      until_count = excluded.until_count, sleep_seconds = excluded.sleep_seconds, probability = 1`)
}

/**
 * From now on, each insert into `table` fails with `sqlstate` with the given probability, until
 * the faults are cleared: transient faults scattered through a long run.
 */
export const injectRandomDatabaseFaults = async (
  database: Database,
  table: FaultyTable,
  sqlstate: string,
  probability: number,
): Promise<void> => {
  await database.db.execute(sql`
    INSERT INTO test_fault (table_name, sqlstate, from_count, until_count, probability)
    VALUES (${table}, ${sqlstate}, 0, ${Number.MAX_SAFE_INTEGER}, ${probability})
    ON CONFLICT (table_name) DO UPDATE SET sqlstate = excluded.sqlstate, from_count = excluded.from_count,
      until_count = excluded.until_count, sleep_seconds = 0, probability = excluded.probability`)
}

export const clearDatabaseFaults = async (database: Database): Promise<void> => {
  await database.db.execute(sql`DELETE FROM test_fault`)
}

/**
 * How many inserts the armed faults have failed so far, counted like `injectDatabaseFault`'s
 * window (exact when one table has a fault set; a probability is not taken into account).
 */
export const firedDatabaseFaults = async (database: Database): Promise<number> => {
  const [fired] = await rowsOf<{ n: string }>(
    database,
    sql`SELECT coalesce(sum(greatest(0, least(s.n, f.until_count) - f.from_count)), 0) AS n
        FROM test_fault f,
          (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END AS n FROM test_fault_fired) s`,
  )
  return Number(fired!.n)
}
