import { sql } from 'drizzle-orm'
import type { Database } from '../../src/db/database.js'

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
      until_count bigint NOT NULL,
      sleep_seconds integer NOT NULL DEFAULT 0
    )`)
  // A sequence counts fired faults: nextval survives the rollback the fault itself causes.
  await database.db.execute(sql`CREATE SEQUENCE IF NOT EXISTS test_fault_fired`)
  await database.db.execute(sql`
    CREATE OR REPLACE FUNCTION test_fault_raise() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE f test_fault%ROWTYPE;
    BEGIN
      SELECT * INTO f FROM test_fault WHERE table_name = TG_TABLE_NAME;
      IF FOUND AND nextval('test_fault_fired') <= f.until_count THEN
        IF f.sleep_seconds > 0 THEN PERFORM pg_sleep(f.sleep_seconds); END IF;
        IF f.sqlstate <> '00000' THEN
          RAISE EXCEPTION 'injected fault on %', TG_TABLE_NAME USING ERRCODE = f.sqlstate;
        END IF;
      END IF;
      RETURN NEW;
    END $$`)
  for (const table of ['user_role', 'user_profile', 'local_identity']) {
    await database.db.execute(sql.raw(`DROP TRIGGER IF EXISTS test_fault_${table} ON ${table}`))
    await database.db.execute(
      sql.raw(
        `CREATE TRIGGER test_fault_${table} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION test_fault_raise()`,
      ),
    )
  }
}

/** The next `times` inserts into `table` fail with `sqlstate` ('00000': only sleep). */
export const injectDatabaseFault = async (
  database: Database,
  table: 'user_role' | 'user_profile' | 'local_identity',
  sqlstate: string,
  times: number,
  sleepSeconds = 0,
): Promise<void> => {
  await database.db.execute(sql`
    INSERT INTO test_fault (table_name, sqlstate, until_count, sleep_seconds)
    VALUES (${table}, ${sqlstate}, (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END + ${times} FROM test_fault_fired), ${sleepSeconds})
    ON CONFLICT (table_name) DO UPDATE SET sqlstate = excluded.sqlstate, until_count = excluded.until_count,
      sleep_seconds = excluded.sleep_seconds`)
}

export const clearDatabaseFaults = async (database: Database): Promise<void> => {
  await database.db.execute(sql`DELETE FROM test_fault`)
}
