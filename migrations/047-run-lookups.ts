import type { Knex } from 'knex';
import { grantTo, WAREHOUSE_ROLES } from './grant-roles.ts';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * The lookup tables a run was loaded with (`ingest --lookups`, a pipeline's `lookups`): a legacy layout (the 2016
 * 双公示 one) looks 处罚机关统一社会信用代码 up from 处罚机关 in them, and that code is part of the record's key. Until
 * now only their hash was kept (inside `runs.options.reading`), so a review notice made later could not key a
 * rejected row as its record is keyed, and matched it on the other key fields: a delivery of the same 文号 and
 * subject under another authority closed it (src/report/notice-key.ts).
 *
 * One row per run that had tables, written by the transaction that records the run (ingest-files.ts) and never
 * after: a run's lookups are what its files were read with, so a row added to an older run, or changed, would
 * re-key its notices. Told by the database alone, as 041 tells a file's own transaction: the run is `running`, its
 * `started_at` is this transaction's start (041 stamps it) and its row version is this transaction's. `sha256` is
 * the database's hash of the tables as stored (jsonb text, UTF-8), whatever the writer says. Append-only for every
 * role, TRUNCATE included, as the notice log (016). Meant to hold no personal data
 * (authority names and their USCCs); a value a misconfigured lookups file gives is kept as given, and nothing shows
 * this table.
 */
export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '047-run-lookups');
  await knex.raw(`
    CREATE TABLE run_lookups (
      run_id bigint PRIMARY KEY REFERENCES runs (id),
      sha256 text NOT NULL,
      -- The shape the loader reads (src/normalize/derive-legacy-row.ts): tables of text to text, nothing else.
      tables jsonb NOT NULL CHECK (
        jsonb_typeof(tables) = 'object'
        AND NOT jsonb_path_exists(tables, '$.* \\? (@.type() != "object")')
        AND NOT jsonb_path_exists(tables, '$.*.* \\? (@.type() != "string")')),
      recorded_at timestamptz NOT NULL DEFAULT now()
    );
    COMMENT ON TABLE run_lookups IS 'the lookup tables a run was loaded with (a legacy layout''s authority codes): written with the run, append-only';
    COMMENT ON COLUMN run_lookups.tables IS 'table -> source value -> derived value, e.g. {"authorityCodes": {"济南市市场监督管理局": "11370100…"}}';
    COMMENT ON COLUMN run_lookups.sha256 IS 'sha256 of tables::text (UTF-8), set by the database';

    CREATE FUNCTION run_lookups_written_with_run() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      IF NOT EXISTS (
           SELECT 1 FROM runs r
           WHERE r.id = NEW.run_id AND r.status = 'running' AND r.started_at = now()
             AND r.xmin::text = (txid_current() % 4294967296)::text) THEN
        RAISE EXCEPTION 'run_lookups: run % was not recorded by this transaction: a run''s lookups are written with the run, never after',
          NEW.run_id USING ERRCODE = 'insufficient_privilege';
      END IF;
      NEW.sha256 := encode(sha256(convert_to(NEW.tables::text, 'UTF8')), 'hex');
      NEW.recorded_at := now();
      RETURN NEW;
    END $$;
    CREATE TRIGGER run_lookups_written_with_run BEFORE INSERT ON run_lookups
      FOR EACH ROW EXECUTE FUNCTION run_lookups_written_with_run();

    CREATE FUNCTION run_lookups_append_only() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      RAISE EXCEPTION 'run_lookups is append-only: the tables a run was loaded with are never changed or removed'
        USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER run_lookups_append_only BEFORE UPDATE OR DELETE ON run_lookups
      FOR EACH ROW EXECUTE FUNCTION run_lookups_append_only();
    CREATE TRIGGER run_lookups_no_truncate BEFORE TRUNCATE ON run_lookups
      FOR EACH STATEMENT EXECUTE FUNCTION run_lookups_append_only();
  `);
  // Every role reads it (010's default privileges); the engine appends to it.
  await grantTo(knex, 'INSERT', 'run_lookups', WAREHOUSE_ROLES.loader);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE run_lookups;
    DROP FUNCTION run_lookups_append_only();
    DROP FUNCTION run_lookups_written_with_run();
  `);
}
