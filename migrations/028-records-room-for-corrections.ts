import type { Knex } from 'knex';

/**
 * `records` pages keep 15% free, so a correction's update of a record (its current version, level, updated_at:
 * no indexed column changes) is a heap-only tuple on the same page, and none of the table's four indexes (the key,
 * the unique business key, the subject, the GIN of key parts: three entries a row) takes a new entry. Full pages
 * sent every updated record to another page and into every index: 10% of 198,000 records updated took 2.25 s
 * with 1 of 19,800 updates heap-only, 0.74 s with all of them heap-only (measured). The table with its indexes is 6%
 * larger after a million-row first load (590.6 → 625.6 MB). Pages already full keep their rows; they fill to 85%
 * once rewritten (`VACUUM FULL records`, which locks the table).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE records SET (fillfactor = 85)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE records RESET (fillfactor)');
}
