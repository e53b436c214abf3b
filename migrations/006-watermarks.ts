import type { Knex } from 'knex';

/**
 * Watermarks of incremental sources (前置库 tables): how far a source has been loaded. A watermark is written
 * in the same transaction as the batch it covers, so it never runs ahead of, or behind, the loaded rows.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE watermarks (
      source text PRIMARY KEY,
      position jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    COMMENT ON COLUMN watermarks.source IS 'the transport''s key for one source, e.g. table:qzk/xzcf_exchange';
    COMMENT ON COLUMN watermarks.position IS 'last loaded keyset position, e.g. {"cursor": "2026-11-20 10:00:00.123456", "tie": 42}';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE watermarks');
}
