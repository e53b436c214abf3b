import type { Knex } from 'knex';
import { grantTo, WAREHOUSE_ROLES } from './grant-roles.ts';

/**
 * Compact lineage for plain re-deliveries (issue #17). A nightly full dump re-delivers nearly every row
 * unchanged; one `record_sources` row per row per night made storage grow with the number of dumps, not with
 * information (~66 MB per million rows, every night). From here a row is written to lineage only when it says
 * something new: inserted, updated, merged, conflict, withdrawn, or an unchanged row that does not continue a
 * run. A run is a channel (catalog entry, provider, level) delivering a record again with the content its latest
 * lineage row already holds, file after file: such a row is counted in its file's `unchanged_deliveries` row
 * instead, and the file lists the records of the run it did NOT hold (`unchanged_delivery_absences`, near empty
 * for a full dump). So for every file of a channel, the records it delivered unchanged are
 *
 *   the channel's standing records before it (feed_standing) − its absences − its own lineage rows,
 *
 * where a record stands when its latest event in the channel since the channel's last file without a summary is
 * a lineage row that accepted content (inserted, updated, merged, unchanged), not an absence. A file without a
 * summary (every row written out, e.g. an incremental file that holds few of the channel's records) ends every
 * run: the next delivery of each record is written out again, so nothing depends on files the summary skips.
 * Both tables are append-only, like lineage, and a file's digest (011) covers its summary and absences.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE unchanged_deliveries (
      source_file_id bigint PRIMARY KEY REFERENCES source_files (id),
      run_id bigint NOT NULL REFERENCES runs (id),
      catalog_code text NOT NULL,
      provider_code text NOT NULL,
      level text NOT NULL,
      rows integer NOT NULL CHECK (rows >= 0),
      late integer NOT NULL CHECK (late >= 0 AND late <= rows),
      absent integer NOT NULL CHECK (absent >= 0),
      created_at timestamptz NOT NULL DEFAULT now()
    );
    COMMENT ON TABLE unchanged_deliveries IS
      'per file: rows that re-delivered a standing record unchanged, counted here instead of one record_sources row each (017)';
    COMMENT ON COLUMN unchanged_deliveries.late IS 'of those rows, late by the timeliness rule (pending rows are always written to lineage)';
    COMMENT ON COLUMN unchanged_deliveries.absent IS 'standing records of the channel the file did not hold (unchanged_delivery_absences)';
    CREATE INDEX unchanged_deliveries_channel ON unchanged_deliveries (catalog_code, provider_code, level, source_file_id);

    CREATE TABLE unchanged_delivery_absences (
      source_file_id bigint NOT NULL REFERENCES unchanged_deliveries (source_file_id),
      record_id bigint NOT NULL,
      PRIMARY KEY (source_file_id, record_id)
    );
    COMMENT ON TABLE unchanged_delivery_absences IS
      'standing records of the channel that a file with an unchanged_deliveries summary did not hold: they end their run (017)';
    CREATE INDEX unchanged_delivery_absences_record ON unchanged_delivery_absences (record_id);

    CREATE TRIGGER unchanged_deliveries_append_only BEFORE UPDATE OR DELETE ON unchanged_deliveries
      FOR EACH ROW EXECUTE FUNCTION forbid_history_change();
    CREATE TRIGGER unchanged_delivery_absences_append_only BEFORE UPDATE OR DELETE ON unchanged_delivery_absences
      FOR EACH ROW EXECUTE FUNCTION forbid_history_change();

    -- The records of a file's channel that stand before it, with the content they stand with.
    CREATE FUNCTION feed_standing(p_file bigint) RETURNS TABLE (record_id bigint, content_hash text)
      LANGUAGE sql STABLE AS $$
      WITH channel AS (SELECT catalog_code, provider_code, level FROM source_files WHERE id = p_file),
      feed AS (
        SELECT f.id, EXISTS (SELECT 1 FROM unchanged_deliveries u WHERE u.source_file_id = f.id) AS summarized
        FROM source_files f JOIN channel c USING (catalog_code, provider_code, level)
        WHERE f.status = 'loaded' AND f.id < p_file),
      -- Runs start at the channel's last file without a summary (its own lineage rows are events too).
      base AS (SELECT COALESCE(max(id), 0) AS id FROM feed WHERE NOT summarized),
      events AS (
        SELECT s.record_id, s.source_file_id AS file_id, s.id AS seq, s.outcome, s.content_hash
        FROM record_sources s WHERE s.source_file_id IN (SELECT id FROM feed WHERE id >= (SELECT id FROM base))
        UNION ALL
        SELECT a.record_id, a.source_file_id, NULL, 'absent', NULL
        FROM unchanged_delivery_absences a WHERE a.source_file_id IN (SELECT id FROM feed WHERE id > (SELECT id FROM base))),
      latest AS (
        SELECT DISTINCT ON (record_id) record_id, outcome, content_hash
        FROM events ORDER BY record_id, file_id DESC, seq DESC NULLS LAST)
      SELECT record_id, content_hash FROM latest WHERE outcome IN ('inserted', 'updated', 'merged', 'unchanged')
    $$;

    -- Every record a loaded file delivered (data or withdrawal request): its lineage rows and its unchanged run.
    CREATE FUNCTION delivered_records(p_file bigint) RETURNS SETOF bigint LANGUAGE sql STABLE AS $$
      SELECT record_id FROM record_sources WHERE source_file_id = p_file AND outcome <> 'withdrawn'
      UNION
      SELECT st.record_id FROM feed_standing(p_file) st
      WHERE EXISTS (SELECT 1 FROM unchanged_deliveries u WHERE u.source_file_id = p_file)
        AND NOT EXISTS (SELECT 1 FROM unchanged_delivery_absences a
                        WHERE a.source_file_id = p_file AND a.record_id = st.record_id)
        AND NOT EXISTS (SELECT 1 FROM record_sources s WHERE s.source_file_id = p_file AND s.record_id = st.record_id)
    $$;

    -- 011's digest, extended by the file's summary and absences when it has them: unchanged for every file
    -- without one, so the digests stored before this migration still verify.
    CREATE OR REPLACE FUNCTION source_file_digest(file_id bigint) RETURNS text LANGUAGE sql STABLE AS $$
      SELECT encode(sha256(convert_to(
        (SELECT COALESCE(string_agg(
            s.row_number || ':' || s.outcome || ':' || s.content_hash || ':' || COALESCE(v.chain_hash, ''),
            E'\\n' ORDER BY s.row_number, s.id), '')
         FROM record_sources s
         LEFT JOIN record_versions v ON v.id = s.version_id AND s.outcome IN ('inserted', 'updated')
         WHERE s.source_file_id = file_id)
        || COALESCE((
          SELECT E'\\nunchanged:' || u.rows || ':' || u.late || ':' || u.absent || ':' || COALESCE((
            SELECT string_agg(a.record_id::text, ',' ORDER BY a.record_id)
            FROM unchanged_delivery_absences a WHERE a.source_file_id = file_id), '')
          FROM unchanged_deliveries u WHERE u.source_file_id = file_id), ''),
        'UTF8')), 'hex')
    $$;
  `);
  await grantTo(knex, 'INSERT', 'unchanged_deliveries', WAREHOUSE_ROLES.loader);
  await grantTo(knex, 'INSERT', 'unchanged_delivery_absences', WAREHOUSE_ROLES.loader);
  // 010 closed functions to PUBLIC: the loader merges and checks full dumps with these, every role reads lineage.
  const { loader, procedure, officer, reader } = WAREHOUSE_ROLES;
  await knex.raw(`GRANT EXECUTE ON FUNCTION feed_standing(bigint), delivered_records(bigint)
    TO ${loader}, ${procedure}, ${officer}, ${reader}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM unchanged_deliveries) THEN
        RAISE EXCEPTION 'unchanged_deliveries holds compacted lineage: undoing 017 would lose which files delivered which records';
      END IF;
    END $$;
    CREATE OR REPLACE FUNCTION source_file_digest(file_id bigint) RETURNS text LANGUAGE sql STABLE AS $$
      SELECT encode(sha256(convert_to(COALESCE(string_agg(
          s.row_number || ':' || s.outcome || ':' || s.content_hash || ':' || COALESCE(v.chain_hash, ''),
          E'\\n' ORDER BY s.row_number, s.id), ''), 'UTF8')), 'hex')
      FROM record_sources s
      LEFT JOIN record_versions v ON v.id = s.version_id AND s.outcome IN ('inserted', 'updated')
      WHERE s.source_file_id = file_id
    $$;
    DROP FUNCTION delivered_records(bigint);
    DROP FUNCTION feed_standing(bigint);
    DROP TABLE unchanged_delivery_absences, unchanged_deliveries;
  `);
}
