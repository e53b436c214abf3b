import type { Knex } from 'knex';

/**
 * Indexes for the console's pages (issue #20), each for a query EXPLAIN showed reading a whole table on a
 * warehouse of a million records (bench/console-queries.ts measures them; docs/console.md has the numbers):
 * - the rejection list, newest first, narrowed by provider or catalog entry (keyset on id), by an error code any
 *   of the row's errors carries (jsonb containment), or by the days its files were received;
 * - a record found by one part of its key, such as a decision number (`credit-etl record` and the console).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE INDEX rejections_provider_id ON rejections (provider_code, id);
    CREATE INDEX rejections_catalog_id ON rejections (catalog_code, id);
    CREATE INDEX rejections_error_codes ON rejections USING gin (errors jsonb_path_ops);
    CREATE INDEX source_files_received ON source_files (received_at);
    CREATE INDEX records_key_parts ON records USING gin (string_to_array(business_key, E'\\x1f'));
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP INDEX records_key_parts;
    DROP INDEX source_files_received;
    DROP INDEX rejections_error_codes;
    DROP INDEX rejections_catalog_id;
    DROP INDEX rejections_provider_id;
  `);
}
