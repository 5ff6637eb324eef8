import { sql } from 'drizzle-orm'
import type { Database } from '../../src/db/database.js'
import { rowsOf } from './sql-rows.js'

const rowFaultTables = ['registration_event', 'users_audit'] as const
export type RowFaultTable = (typeof rowFaultTables)[number]

/**
 * Faults raised by the real database on one kind of row, chosen by what it says rather than by
 * how many inserts came before it: "the audit row of a rollback", "the event recording the IdP
 * user". A count of earlier inserts would break whenever a step writes one event more or less;
 * the row's content names the moment in the saga a fault is meant for. Separate from
 * `database-faults.ts` (its own table, sequence and triggers), so both can be armed at once.
 */
export const installRowFaults = async (database: Database): Promise<void> => {
  await database.db.execute(sql`
    CREATE TABLE IF NOT EXISTS test_row_fault (
      table_name text PRIMARY KEY,
      condition text NOT NULL,
      sqlstate text NOT NULL,
      from_count bigint NOT NULL,
      until_count bigint NOT NULL
    )`)
  // As in database-faults.ts: nextval survives the rollback the fault itself causes.
  await database.db.execute(sql`CREATE SEQUENCE IF NOT EXISTS test_row_fault_fired`)
  await database.db.execute(sql`
    CREATE OR REPLACE FUNCTION test_row_fault_raise() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE f test_row_fault%ROWTYPE; matched boolean; n bigint;
    BEGIN
      SELECT * INTO f FROM test_row_fault WHERE table_name = TG_TABLE_NAME;
      IF NOT FOUND THEN RETURN NEW; END IF;
      EXECUTE format('SELECT (%s) FROM (SELECT ($1).*) AS row', f.condition) INTO matched USING NEW;
      IF NOT coalesce(matched, false) THEN RETURN NEW; END IF;
      n := nextval('test_row_fault_fired');
      IF n > f.from_count AND n <= f.until_count THEN
        RAISE EXCEPTION 'injected fault on % (%)', TG_TABLE_NAME, f.condition USING ERRCODE = f.sqlstate;
      END IF;
      RETURN NEW;
    END $$`)
  for (const table of rowFaultTables) {
    await database.db.execute(sql.raw(`DROP TRIGGER IF EXISTS test_row_fault_${table} ON ${table}`))
    await database.db.execute(
      sql.raw(
        `CREATE TRIGGER test_row_fault_${table} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION test_row_fault_raise()`,
      ),
    )
  }
}

/**
 * The next `times` inserts into `table` whose row satisfies `condition` (SQL over the row's
 * columns, written by the test: `action = 'Deleted user'`) fail with `sqlstate`; other rows pass.
 * One armed fault per table; arming it again replaces it.
 */
export const injectRowFault = async (
  database: Database,
  table: RowFaultTable,
  condition: string,
  sqlstate: string,
  times: number,
): Promise<void> => {
  await database.db.execute(sql`
    WITH fired AS (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END AS n FROM test_row_fault_fired)
    INSERT INTO test_row_fault (table_name, condition, sqlstate, from_count, until_count)
    SELECT ${table}, ${condition}, ${sqlstate}, n, n + ${times} FROM fired
    ON CONFLICT (table_name) DO UPDATE SET condition = excluded.condition, sqlstate = excluded.sqlstate,
      from_count = excluded.from_count, until_count = excluded.until_count`)
}

export const clearRowFaults = async (database: Database): Promise<void> => {
  await database.db.execute(sql`DELETE FROM test_row_fault`)
}

/**
 * How many inserts the armed faults have failed so far (0 when none is armed): a row can check
 * its fault really fired, so a step that stops writing the row it targets fails the row instead
 * of letting it pass without a fault.
 */
export const firedRowFaults = async (database: Database): Promise<number> => {
  const [fired] = await rowsOf<{ n: string }>(
    database,
    sql`SELECT coalesce(sum(greatest(0, least(s.n, f.until_count) - f.from_count)), 0) AS n
        FROM test_row_fault f,
          (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END AS n FROM test_row_fault_fired) s`,
  )
  return Number(fired!.n)
}
