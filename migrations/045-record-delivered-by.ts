import type { Knex } from 'knex';
import { WAREHOUSE_ROLES } from './grant-roles.ts';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * Whether one file delivered one record, as `delivered_records` (017-compact-lineage.ts) counts it: a lineage row
 * of the file that is no withdrawal, or the file's unchanged run — the file has a summary, does not list the
 * record absent, has no lineage row of it, and the record stands in the channel before the file (`feed_standing`).
 *
 * The notices asked this per record in SQL of their own (src/warehouse/notices-repository.ts, 275de05); it is
 * now asked here, in one place. Written for the one record, not by filtering `delivered_records`, which builds
 * the channel's whole feed per call: the record's own events are looked up by record (a few), each one's file by
 * key, and "no file without a summary since" is a range of file ids. The record stands before the file when its
 * latest event in the channel before the file (a lineage row, or an absence; a file's lineage rows after its
 * absences) accepted content and no loaded file of the channel without a summary (which ends every run) came
 * after that event — `feed_standing`'s set, read for one record. `delivered_records` and `feed_standing` stay as
 * 017 wrote them: the load's full-dump check reads a whole file's set at once, where a per-record call for each
 * of a million records would be slower. test/record-delivered-by.test.ts holds the two to the same answers.
 *
 * Each check of "no file without a summary since" reads the channel's files between two ids: the index
 * `source_files_channel` makes that a range of one channel's files, where without it every file of every channel
 * between the two was read (measured on a warehouse of 18,600 files, 51 channels, one record re-delivered
 * nightly for a year: 4–7 ms a call, 1.6–3.0 s for the record's 365 summarized files; 91–156 ms with the index).
 *
 * LANGUAGE sql, STABLE, its search_path pinned as the warehouse's plpgsql functions are (033): a temp table of
 * the caller's never stands in for lineage. Every role that reads notices (console, reports, the engine) may
 * call it.
 */
const { loader, procedure, officer, reader } = WAREHOUSE_ROLES;

const SIGNATURE = 'record_delivered_by(bigint, bigint)';

export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '045-record-delivered-by');
  await knex.raw(`
    CREATE FUNCTION record_delivered_by(p_file bigint, p_record bigint) RETURNS boolean
      LANGUAGE sql STABLE ${pinned} AS $$
      SELECT EXISTS (
        SELECT 1 FROM record_sources s
        WHERE s.source_file_id = p_file AND s.record_id = p_record AND s.outcome <> 'withdrawn'
      ) OR EXISTS (
        SELECT 1 FROM unchanged_deliveries u JOIN source_files uf ON uf.id = u.source_file_id
        WHERE u.source_file_id = p_file
          AND NOT EXISTS (
            SELECT 1 FROM unchanged_delivery_absences a WHERE a.source_file_id = p_file AND a.record_id = p_record)
          AND NOT EXISTS (SELECT 1 FROM record_sources s WHERE s.source_file_id = p_file AND s.record_id = p_record)
          AND EXISTS (
            SELECT 1 FROM (
              SELECT ev.file_id, ev.outcome FROM (
                -- The record's own events, each one's file looked up after: no join that could start from the
                -- files (every lineage row of a file is a long list).
                SELECT s.source_file_id AS file_id, s.id AS seq, s.outcome FROM record_sources s
                WHERE s.record_id = p_record AND (
                  SELECT f.id < uf.id AND f.status = 'loaded' AND f.catalog_code = uf.catalog_code
                    AND f.provider_code = uf.provider_code AND f.level = uf.level
                  FROM source_files f WHERE f.id = s.source_file_id)
                UNION ALL
                SELECT a.source_file_id, NULL, 'absent' FROM unchanged_delivery_absences a
                WHERE a.record_id = p_record AND (
                  SELECT f.id < uf.id AND f.status = 'loaded' AND f.catalog_code = uf.catalog_code
                    AND f.provider_code = uf.provider_code AND f.level = uf.level
                  FROM source_files f WHERE f.id = a.source_file_id)
              ) ev ORDER BY ev.file_id DESC, ev.seq DESC NULLS LAST LIMIT 1) latest
            WHERE latest.outcome IN ('inserted', 'updated', 'merged', 'unchanged')
              AND NOT EXISTS (
                SELECT 1 FROM source_files f
                WHERE f.id > latest.file_id AND f.id < uf.id AND f.status = 'loaded'
                  AND f.catalog_code = uf.catalog_code AND f.provider_code = uf.provider_code AND f.level = uf.level
                  AND NOT EXISTS (SELECT 1 FROM unchanged_deliveries x WHERE x.source_file_id = f.id))))
    $$;
    COMMENT ON FUNCTION ${SIGNATURE} IS
      'whether the file delivered the record as delivered_records (017) counts it: a lineage row, or its unchanged run (045)';
  `);
  await knex.raw(
    'CREATE INDEX source_files_channel ON source_files (catalog_code, provider_code, level, id)',
  );
  await knex.raw(`REVOKE ALL ON FUNCTION ${SIGNATURE} FROM PUBLIC`);
  await knex.raw(`GRANT EXECUTE ON FUNCTION ${SIGNATURE} TO ${loader}, ${procedure}, ${officer}, ${reader}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP FUNCTION ${SIGNATURE}`);
  await knex.raw('DROP INDEX source_files_channel');
}
