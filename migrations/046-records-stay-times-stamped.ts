import type { Knex } from 'knex';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * A record's times, the one pair 041 (files-stay-times-stamped) left to the writer, found by trying with the
 * engine's login: `records.updated_at` is a column the loader may update (010: the merge writes it), so
 * `UPDATE records SET updated_at = now() - interval '1 year'` went through, and the loader's INSERT on `records` is
 * table-wide, so a new record could say any `created_at` and `updated_at`. A back-dated `updated_at` takes a record
 * that changed without a new version (a level raised, a withdrawal) out of `verify --since`, and moves what
 * `report disclosure --as-of` says of when it last changed; a `created_at` of the writer's was only found afterwards
 * by verify (`created-differs`).
 *
 * Now, for every role (the procedure functions included: they write `now()` anyway), as 041 stamps a version:
 * - a new record's `created_at` and `updated_at` are `now()` (the transaction's start, the defaults the engine
 *   relies on: the record's `created_at` stays its version 1's, which verify checks);
 * - an UPDATE that changes anything of the record but `updated_at` sets it to `now()`, whatever it says; one that
 *   changes nothing else keeps the old time, so an UPDATE of `updated_at` alone (a no-op) cannot move it.
 * The engine's statements still say `updated_at = now()` (merge-staged.ts, 012/015/040/041's functions): the
 * stamp gives the same value, so they stay.
 *
 * Cost, measured alternating on a loaded 2-core machine: the triggers' WHEN keeps the function off the engine's
 * path, as 012's state guard does. A record the merge inserts takes both defaults, equal to `now()`; a correction or
 * a level raise says `updated_at = now()` and changes the pointer or the level. EXPLAIN ANALYZE of a 10% correction
 * (10,000 of 100,000 records): records_stamp_on_update never called, records_guard 10,000 times (80–400 ms of a
 * 0.4–0.9 s statement). The WHEN alone, on a bare table: ~0.05 µs an inserted row (1,000,000 rows: median +49 ms,
 * noise −78…+337 ms), ~0.4 µs an updated one (100,000 rows: median +43 ms); 100,000 records inserted into
 * `records` took 1.1–3.4 s with it, 1.2–3.2 s without (10 pairs): no difference beyond noise. The function, when a
 * writer does call it, costs ~2.5–3 µs a row.
 */
export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '046-records-stay-times-stamped');
  await knex.raw(`
    CREATE FUNCTION records_stamp() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        NEW.created_at := now();
        NEW.updated_at := now();
        RETURN NEW;
      END IF;
      NEW.updated_at := OLD.updated_at;
      IF NEW IS DISTINCT FROM OLD THEN
        NEW.updated_at := now();
      END IF;
      RETURN NEW;
    END $$;
    -- After every other BEFORE trigger of records (name order): none of them changes the row, and this one sees
    -- the row as it will be written.
    CREATE TRIGGER records_stamp_on_insert BEFORE INSERT ON records FOR EACH ROW
      WHEN (NEW.created_at IS DISTINCT FROM now() OR NEW.updated_at IS DISTINCT FROM now())
      EXECUTE FUNCTION records_stamp();
    -- Off the path of a statement that says updated_at = now() with a change the row surely has (the merge's
    -- correction and level, a procedure's pointer or status): the stamp would give what it says. Any other UPDATE
    -- (another time, or nothing else changed, or only a column not listed here) calls the function, which compares
    -- the whole row.
    CREATE TRIGGER records_stamp_on_update BEFORE UPDATE ON records FOR EACH ROW
      WHEN (NEW.updated_at IS DISTINCT FROM now()
            OR (NEW.current_version_id, NEW.level, NEW.subject_code, NEW.status)
               IS NOT DISTINCT FROM (OLD.current_version_id, OLD.level, OLD.subject_code, OLD.status))
      EXECUTE FUNCTION records_stamp();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER records_stamp_on_update ON records;
    DROP TRIGGER records_stamp_on_insert ON records;
    DROP FUNCTION records_stamp();
  `);
}
