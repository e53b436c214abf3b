import type { Knex } from 'knex';

/**
 * The catalog as it was applied: every version of every entry, with the hash of its content, synced from
 * `catalog/` at the start of each command, so a row's `catalog_version` can be traced to the exact rules
 * that validated it. A version edited in place (it should not be) gets a second row with the new hash.
 * Also: warning-level findings (pilot-era USCCs) kept on the lineage of the rows they were found in.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE catalog_entries (
      id bigserial PRIMARY KEY,
      code text NOT NULL,
      version integer NOT NULL,
      title text NOT NULL,
      effective_from date NOT NULL,
      content_hash text NOT NULL,
      entry jsonb NOT NULL,
      first_synced_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (code, version, content_hash)
    );
    COMMENT ON TABLE catalog_entries IS 'every catalog entry version ever applied, by content hash (Art. 7)';
    CREATE TRIGGER catalog_entries_append_only BEFORE UPDATE OR DELETE ON catalog_entries
      FOR EACH ROW EXECUTE FUNCTION forbid_history_change();

    ALTER TABLE record_sources ADD COLUMN warnings jsonb;
    COMMENT ON COLUMN record_sources.warnings IS 'warning-level findings on an accepted row, e.g. uscc-pilot-check-digit';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE record_sources DROP COLUMN warnings;
    DROP TABLE catalog_entries;
  `);
}
