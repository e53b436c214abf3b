import type { Knex } from 'knex';
import { grantTo, WAREHOUSE_ROLES } from './grant-roles.ts';

/**
 * The fast path of nightly re-deliveries (issue #17, src/run/fast-redelivery.ts). A channel's next file is
 * mostly the rows it sent last night; a row whose raw cells are exactly those of a row the channel's standing
 * record was accepted from needs no normalizing, validating or staging: its outcome is known (`unchanged`,
 * counted in the file's compact summary, 017).
 *
 * `fingerprint_channels` / `fingerprint_standing`: per channel (catalog entry, provider, level), the records
 * that stand in it after its last loaded file (exactly feed_standing's set for the next file), each with the
 * 64-bit fingerprint of the raw cells it was accepted from when that is known and the row could be re-delivered
 * compactly (no warnings, no time of its own, its key once in its file), and whether the content it stands with
 * is its current version's (`at_current`). A cache, not the legal record: rebuilt in place by every unit of the
 * channel, in that unit's transaction; lineage stays the record of who delivered what. Both tables are UNLOGGED
 * (no WAL: a first load of a million rows writes a million cache rows): a crash empties both together, and a
 * channel without a cache loads its next file on the full path, which builds it again. The loader deletes here,
 * and only here: a cache is replaced, never kept as history.
 *
 * `entry_generations`: bumped by every statement that changes a record of the entry (a merge of any channel, a
 * legal procedure). A cache is used only while its entry's generation and its channel's last loaded file are
 * the ones it was built at, so a record changed since by anything else is never taken for unchanged.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE entry_generations (
      catalog_code text PRIMARY KEY,
      generation bigint NOT NULL DEFAULT 1
    );
    COMMENT ON TABLE entry_generations IS
      'per catalog entry: bumped by every statement that changes its records; a fingerprint cache built at another generation is not used (024)';

    -- Statement-level, with transition tables: one bump per changing statement and entry, nothing per row.
    CREATE FUNCTION bump_entry_generation() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO entry_generations AS g (catalog_code)
        SELECT DISTINCT catalog_code FROM changed_records
        ON CONFLICT (catalog_code) DO UPDATE SET generation = g.generation + 1;
      RETURN NULL;
    END $$;
    CREATE TRIGGER records_bump_generation_insert AFTER INSERT ON records
      REFERENCING NEW TABLE AS changed_records FOR EACH STATEMENT EXECUTE FUNCTION bump_entry_generation();
    CREATE TRIGGER records_bump_generation_update AFTER UPDATE ON records
      REFERENCING NEW TABLE AS changed_records FOR EACH STATEMENT EXECUTE FUNCTION bump_entry_generation();
    CREATE TRIGGER records_bump_generation_delete AFTER DELETE ON records
      REFERENCING OLD TABLE AS changed_records FOR EACH STATEMENT EXECUTE FUNCTION bump_entry_generation();

    CREATE UNLOGGED TABLE fingerprint_channels (
      id serial PRIMARY KEY,
      catalog_code text NOT NULL,
      provider_code text NOT NULL,
      level text NOT NULL,
      shape text NOT NULL,
      source_file_id bigint NOT NULL,
      generation bigint NOT NULL,
      UNIQUE (catalog_code, provider_code, level)
    );
    COMMENT ON TABLE fingerprint_channels IS
      'per channel: the file its fingerprint cache stands after, the entry generation then, and the shape (entry, columns, code revision) its fingerprints were taken in (024)';
    CREATE UNLOGGED TABLE fingerprint_standing (
      channel_id integer NOT NULL REFERENCES fingerprint_channels (id),
      record_id bigint NOT NULL,
      fingerprint bigint,
      formation_date date,
      at_current boolean NOT NULL,
      PRIMARY KEY (channel_id, record_id)
    );
    COMMENT ON TABLE fingerprint_standing IS
      'the records standing in a channel after its last file: the raw-cell fingerprint a re-delivery is recognised by, when known (024)';
  `);
  const { loader, procedure } = WAREHOUSE_ROLES;
  await grantTo(knex, 'SELECT, INSERT, UPDATE', 'entry_generations', loader);
  await grantTo(knex, 'SELECT, INSERT, UPDATE', 'entry_generations', procedure);
  await grantTo(knex, 'SELECT, INSERT, UPDATE', 'fingerprint_channels', loader);
  await grantTo(knex, 'USAGE', 'SEQUENCE fingerprint_channels_id_seq', loader);
  await grantTo(knex, 'SELECT, INSERT, UPDATE, DELETE', 'fingerprint_standing', loader);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE fingerprint_standing, fingerprint_channels;
    DROP TRIGGER records_bump_generation_insert ON records;
    DROP TRIGGER records_bump_generation_update ON records;
    DROP TRIGGER records_bump_generation_delete ON records;
    DROP FUNCTION bump_entry_generation();
    DROP TABLE entry_generations;
  `);
}
