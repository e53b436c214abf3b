import type { Knex } from 'knex';
import { WAREHOUSE_ROLES } from './grant-roles.ts';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * The files of one provider, after a given file, that delivered one record by their unchanged run (counted in the
 * file's summary, no lineage row of it): every file `f` of the record's catalog entry and the provider, `f` after
 * `p_after`, for which `record_delivered_by(f, record)` (045) holds and `f` has no lineage row of the record.
 *
 * The review notices asked `record_delivered_by` once for each later summarized file of the provider: for a
 * notice row whose record never stands in the provider's channel (its key held by another channel's record) each
 * call answers "no", and a year of nightly dumps is 365 calls a row (measured on a warehouse of 367 files, one
 * channel re-delivering nightly for a year, a notice of 1,000 such rows: 12–14 s to list, show or count the
 * notice, 26 s to issue it, 38 s to write it again). Here the record's runs are read once, from its own events:
 * in each of the provider's channels (catalog entry, provider, level) the record's events (a lineage row, or an
 * absence; a file's lineage rows after its absences) grouped by file, each file's last one starting a run when it
 * accepted content; the run covers the channel's summarized files after it, up to the record's next event in the
 * channel and to the channel's next loaded file without a summary (which ends every run). A record with no event
 * in the provider's channels is a few index lookups. test/record-delivered-by.test.ts holds it to
 * `record_delivered_by` and `delivered_records` on every pair of a mixed history.
 *
 * LANGUAGE sql, STABLE, its search_path pinned (033); every role that reads notices may call it, as 045.
 */
const { loader, procedure, officer, reader } = WAREHOUSE_ROLES;

const SIGNATURE = 'record_delivered_unchanged(bigint, text, bigint)';

export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '048-record-delivered-unchanged');
  await knex.raw(`
    CREATE FUNCTION record_delivered_unchanged(p_record bigint, p_provider text, p_after bigint)
      RETURNS SETOF bigint LANGUAGE sql STABLE ${pinned} AS $$
      WITH events AS MATERIALIZED (
        -- The record's own events (a few), each one's file looked up after: no plan that starts from the
        -- provider's files.
        SELECT s.source_file_id AS file_id, s.id AS seq, s.outcome FROM record_sources s WHERE s.record_id = p_record
        UNION ALL
        SELECT a.source_file_id, NULL, 'absent' FROM unchanged_delivery_absences a WHERE a.record_id = p_record
      ), last_per_file AS (
        -- In the provider's channels, in loaded files: each file's last event (its lineage rows after its absences).
        SELECT DISTINCT ON (f.catalog_code, f.level, ev.file_id) f.catalog_code, f.level, ev.file_id, ev.outcome
        FROM events ev JOIN source_files f ON f.id = ev.file_id
        WHERE f.provider_code = p_provider AND f.status = 'loaded'
        ORDER BY f.catalog_code, f.level, ev.file_id, ev.seq DESC NULLS LAST
      ), bounded AS MATERIALIZED (
        -- Each run: from an event that accepted content to the record's next event in the channel, and to the
        -- channel's next loaded file without a summary (computed once a run).
        SELECT run.catalog_code, run.level, run.file_id, run.next_event, (
          SELECT min(x.id) FROM source_files x
          WHERE x.catalog_code = run.catalog_code AND x.provider_code = p_provider AND x.level = run.level
            AND x.id > run.file_id AND x.status = 'loaded'
            AND NOT EXISTS (SELECT 1 FROM unchanged_deliveries y WHERE y.source_file_id = x.id)) AS run_end
        FROM (
          SELECT catalog_code, level, file_id, outcome,
            lead(file_id) OVER (PARTITION BY catalog_code, level ORDER BY file_id) AS next_event
          FROM last_per_file) run
        WHERE run.outcome IN ('inserted', 'updated', 'merged', 'unchanged')
      )
      SELECT u.source_file_id FROM bounded b
      JOIN unchanged_deliveries u ON u.catalog_code = b.catalog_code AND u.provider_code = p_provider
        AND u.level = b.level AND u.source_file_id > b.file_id AND u.source_file_id > p_after
        AND (b.next_event IS NULL OR u.source_file_id < b.next_event)
        AND (b.run_end IS NULL OR u.source_file_id < b.run_end)
      JOIN source_files uf ON uf.id = u.source_file_id
        AND uf.catalog_code = b.catalog_code AND uf.provider_code = p_provider AND uf.level = b.level
      WHERE NOT EXISTS (
          SELECT 1 FROM unchanged_delivery_absences a WHERE a.source_file_id = u.source_file_id AND a.record_id = p_record)
        AND NOT EXISTS (
          SELECT 1 FROM record_sources s WHERE s.source_file_id = u.source_file_id AND s.record_id = p_record)
    $$;
    COMMENT ON FUNCTION ${SIGNATURE} IS
      'the provider''s files after p_after that delivered the record by their unchanged run, as record_delivered_by (045) answers per file (048)';
  `);
  await knex.raw(`REVOKE ALL ON FUNCTION ${SIGNATURE} FROM PUBLIC`);
  await knex.raw(`GRANT EXECUTE ON FUNCTION ${SIGNATURE} TO ${loader}, ${procedure}, ${officer}, ${reader}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP FUNCTION ${SIGNATURE}`);
}
