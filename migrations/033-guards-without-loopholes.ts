import type { Knex } from 'knex';
import { currentSchema } from './pinned-search-path.ts';

/**
 * Loopholes in the guards, found by trying to rewrite history with the engine's own login (a role granted
 * credit_etl_loader) and closed here:
 *
 * - A guard reads tables by unqualified name, and PostgreSQL looks names up in the session's temp schema first:
 *   a loader that created `TEMP TABLE record_versions` (it may create temp tables: the merge stages in them) made
 *   records_guard read its own rows, and moved a record back to an old version, onto another record's version, or
 *   off a legal correction. Every plpgsql function of the warehouse now runs with `search_path = <schema>,
 *   pg_temp` (pg_temp named last is searched last), as 012–015's functions always did. Measured on the function
 *   called most, the version-chain trigger, once per version: the setting costs ~1 µs a call (a trivial trigger,
 *   300,000 rows: 1.8–2.0 s without, 2.2–2.3 s with), ~1% of a first load.
 * - `source_files.status` (the loader sets it) only moves as the engine moves it: a file is `loaded` while its
 *   unit runs and may become `failed-threshold` before its digest is set; nothing else. A `skipped` file made
 *   `loaded` again passed for a delivery being loaded (provider_withdraw_delivered, 015), and a sealed file made
 *   `failed` fell out of verify's digest check.
 * - `entry_generations` only counts up: set back, a stale fingerprint cache was taken for current (024), so a
 *   re-delivery of corrected-away content passed as `unchanged` instead of a conflict.
 * - `notice_events.db_user` and `.at` were defaults the writer could override: a closing back-dated, a sender
 *   named. They are now the session's user and the clock, whatever is written.
 * - A legal procedure's basis, reason and operator blank in any way are refused: btrim() only strips ASCII spaces,
 *   so a tab or an ideographic space (U+3000) passed for a basis.
 */

const BLANK = String.raw`'^[\s\u00a0\u3000\u200b-\u200d\u2060\ufeff]*$'`;

const groundsFunction = (blank: (value: string) => string) => `
  CREATE OR REPLACE FUNCTION procedure_grounds(p_basis text, p_reason text, p_operator text) RETURNS void
  LANGUAGE plpgsql AS $$
  BEGIN
    IF ${blank('p_basis')} THEN
      RAISE EXCEPTION '法定程序必须注明法律依据（文号）：请用 --basis 填写' USING ERRCODE = 'check_violation';
    END IF;
    IF ${blank('p_reason')} THEN
      RAISE EXCEPTION '法定程序必须注明理由：请用 --reason 填写' USING ERRCODE = 'check_violation';
    END IF;
    IF ${blank('p_operator')} THEN
      RAISE EXCEPTION '法定程序必须注明经办人：请用 --operator 填写' USING ERRCODE = 'check_violation';
    END IF;
  END $$;`;

export async function up(knex: Knex): Promise<void> {
  const schema = await currentSchema(knex, '033-guards-without-loopholes');
  await knex.raw(groundsFunction((value) => `coalesce(${value}, '') ~ ${BLANK}`));
  await knex.raw(`
    CREATE FUNCTION source_files_status_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.status IS DISTINCT FROM OLD.status
         AND NOT (OLD.status = 'loaded' AND NEW.status = 'failed-threshold' AND OLD.digest IS NULL) THEN
        RAISE EXCEPTION 'source_files: file % is % and stays so (a loading file may only be held back, before its digest)',
          OLD.id, OLD.status USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER source_files_status_moves_forward BEFORE UPDATE OF status ON source_files
      FOR EACH ROW EXECUTE FUNCTION source_files_status_guard();

    CREATE FUNCTION entry_generations_count_up() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'UPDATE' OR NEW.catalog_code IS DISTINCT FROM OLD.catalog_code
         OR NEW.generation <= OLD.generation THEN
        RAISE EXCEPTION 'entry_generations only counts up (a generation set back would pass a stale cache for current)'
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER entry_generations_count_up BEFORE UPDATE OR DELETE ON entry_generations
      FOR EACH ROW EXECUTE FUNCTION entry_generations_count_up();
    CREATE TRIGGER entry_generations_no_truncate BEFORE TRUNCATE ON entry_generations
      FOR EACH STATEMENT EXECUTE FUNCTION entry_generations_count_up();

    CREATE FUNCTION notice_events_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.db_user := session_user;
      NEW.at := clock_timestamp();
      RETURN NEW;
    END $$;
    CREATE TRIGGER notice_events_stamp BEFORE INSERT ON notice_events
      FOR EACH ROW EXECUTE FUNCTION notice_events_stamp();
  `);
  // Last, so that the functions above are pinned too.
  const unpinned = await knex.raw<{ rows: { signature: string }[] }>(
    `SELECT p.oid::regprocedure::text AS signature FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
     WHERE p.pronamespace = ?::regnamespace AND l.lanname = 'plpgsql'
       AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) AS setting
                       WHERE setting LIKE 'search\\_path=%')`,
    [schema],
  );
  for (const { signature } of unpinned.rows) {
    await knex.raw(`ALTER FUNCTION ${signature} SET search_path = ${schema}, pg_temp`);
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER notice_events_stamp ON notice_events;
    DROP FUNCTION notice_events_stamp();
    DROP TRIGGER entry_generations_no_truncate ON entry_generations;
    DROP TRIGGER entry_generations_count_up ON entry_generations;
    DROP FUNCTION entry_generations_count_up();
    DROP TRIGGER source_files_status_moves_forward ON source_files;
    DROP FUNCTION source_files_status_guard();
  `);
  await knex.raw(groundsFunction((value) => `coalesce(btrim(${value}), '') = ''`));
  // The pinned search paths stay: they are what every function should have had.
}
