import type { Knex } from 'knex';

/**
 * The bulk tables (versions, lineage, rejections) are written only by the set-based merge, in one
 * transaction per unit, with ids it takes from the rows it has just written; per-row foreign-key triggers
 * re-checked each of those ids one at a time and were half of the merge's time (bench: 3.2 of 6.3 s for
 * 100,000 rows). The merge now checks that every statement wrote exactly the rows its classification
 * says (merge-staged.ts), and the tables those ids point to can no longer lose a row: records, files and
 * runs refuse DELETE outside a legal procedure, as the history tables already did, and every one of them
 * now refuses TRUNCATE too (a row trigger never sees a TRUNCATE).
 */
const DROPPED = [
  ['record_versions', 'record_versions_record_id_fkey'],
  ['record_versions', 'record_versions_source_file_id_fkey'],
  ['record_sources', 'record_sources_record_id_fkey'],
  ['record_sources', 'record_sources_version_id_fkey'],
  ['record_sources', 'record_sources_run_id_fkey'],
  ['record_sources', 'record_sources_source_file_id_fkey'],
  ['rejections', 'rejections_run_id_fkey'],
  ['rejections', 'rejections_source_file_id_fkey'],
  ['records', 'records_current_version_fk'],
] as const;

const NO_DELETE = ['records', 'source_files', 'runs'] as const;
const NO_TRUNCATE = [
  ...NO_DELETE,
  'record_versions',
  'record_sources',
  'rejections',
  'catalog_entries',
] as const;

export async function up(knex: Knex): Promise<void> {
  for (const [table, constraint] of DROPPED) {
    await knex.raw(`ALTER TABLE ${table} DROP CONSTRAINT ${constraint}`);
  }
  for (const table of NO_DELETE) {
    await knex.raw(`CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table}
      FOR EACH ROW EXECUTE FUNCTION forbid_history_change()`);
  }
  for (const table of NO_TRUNCATE) {
    await knex.raw(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
      FOR EACH STATEMENT EXECUTE FUNCTION forbid_history_change()`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of NO_DELETE) await knex.raw(`DROP TRIGGER ${table}_no_delete ON ${table}`);
  for (const table of NO_TRUNCATE) await knex.raw(`DROP TRIGGER ${table}_no_truncate ON ${table}`);
  await knex.raw(`
    ALTER TABLE record_versions
      ADD CONSTRAINT record_versions_record_id_fkey FOREIGN KEY (record_id) REFERENCES records (id),
      ADD CONSTRAINT record_versions_source_file_id_fkey FOREIGN KEY (source_file_id) REFERENCES source_files (id);
    ALTER TABLE record_sources
      ADD CONSTRAINT record_sources_record_id_fkey FOREIGN KEY (record_id) REFERENCES records (id),
      ADD CONSTRAINT record_sources_version_id_fkey FOREIGN KEY (version_id) REFERENCES record_versions (id),
      ADD CONSTRAINT record_sources_run_id_fkey FOREIGN KEY (run_id) REFERENCES runs (id),
      ADD CONSTRAINT record_sources_source_file_id_fkey FOREIGN KEY (source_file_id) REFERENCES source_files (id);
    ALTER TABLE rejections
      ADD CONSTRAINT rejections_run_id_fkey FOREIGN KEY (run_id) REFERENCES runs (id),
      ADD CONSTRAINT rejections_source_file_id_fkey FOREIGN KEY (source_file_id) REFERENCES source_files (id);
    ALTER TABLE records ADD CONSTRAINT records_current_version_fk
      FOREIGN KEY (current_version_id) REFERENCES record_versions (id) DEFERRABLE INITIALLY DEFERRED;
  `);
}
