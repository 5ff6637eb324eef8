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
      remaining integer NOT NULL,
      sleep_seconds integer NOT NULL DEFAULT 0
    )`)
  await database.db.execute(sql`
    CREATE OR REPLACE FUNCTION test_fault_raise() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE f test_fault%ROWTYPE;
    BEGIN
      UPDATE test_fault SET remaining = remaining - 1
        WHERE table_name = TG_TABLE_NAME AND remaining > 0
        RETURNING * INTO f;
      IF FOUND THEN
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
    INSERT INTO test_fault (table_name, sqlstate, remaining, sleep_seconds)
    VALUES (${table}, ${sqlstate}, ${times}, ${sleepSeconds})
    ON CONFLICT (table_name) DO UPDATE SET sqlstate = excluded.sqlstate, remaining = excluded.remaining,
      sleep_seconds = excluded.sleep_seconds`)
}

export const clearDatabaseFaults = async (database: Database): Promise<void> => {
  await database.db.execute(sql`DELETE FROM test_fault`)
}
