import type { Knex } from 'knex';

/**
 * The sha256 ledger, whichever command delivers: a unit whose content was already loaded for its catalog entry
 * is recorded `skipped` and points at that earlier load; a reload forced by the operator (`ingest --force`) is
 * loaded and points at it too, so a second copy of the same lineage is never silent.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE source_files DROP CONSTRAINT source_files_status_check;
    ALTER TABLE source_files ADD CONSTRAINT source_files_status_check
      CHECK (status IN ('loaded', 'failed', 'failed-threshold', 'skipped'));
    ALTER TABLE source_files ADD COLUMN same_content_as bigint REFERENCES source_files (id);
    ALTER TABLE source_files ADD COLUMN forced boolean NOT NULL DEFAULT false;
    COMMENT ON COLUMN source_files.same_content_as IS
      'the earlier loaded file with the same sha256 for this catalog entry: skipped, or reloaded with forced';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE source_files DROP COLUMN forced;
    ALTER TABLE source_files DROP COLUMN same_content_as;
    ALTER TABLE source_files DROP CONSTRAINT source_files_status_check;
    ALTER TABLE source_files ADD CONSTRAINT source_files_status_check
      CHECK (status IN ('loaded', 'failed', 'failed-threshold'));
  `);
}
