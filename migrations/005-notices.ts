import type { Knex } from 'knex';

/**
 * Review notices (复核通知, Art. 14): what was sent to a provider and which rows it covers. The status (open /
 * partly corrected / closed) is not stored: it is computed from later deliveries (src/report/notice-status.ts),
 * so it can never disagree with the warehouse.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE notices (
      id bigserial PRIMARY KEY,
      provider_code text NOT NULL,
      scope jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      issued_on date NOT NULL,
      working_days integer NOT NULL CHECK (working_days >= 0),
      deadline date NOT NULL
    );
    CREATE INDEX notices_provider ON notices (provider_code, created_at DESC);

    CREATE TABLE notice_rows (
      id bigserial PRIMARY KEY,
      notice_id bigint NOT NULL REFERENCES notices (id),
      kind text NOT NULL CHECK (kind IN ('rejected', 'conflict')),
      catalog_code text NOT NULL,
      source_file_id bigint NOT NULL REFERENCES source_files (id),
      row_number integer NOT NULL,
      rejection_id bigint REFERENCES rejections (id),
      record_source_id bigint REFERENCES record_sources (id),
      business_key text,
      key_parts jsonb,
      CHECK ((rejection_id IS NULL) <> (record_source_id IS NULL))
    );
    COMMENT ON COLUMN notice_rows.business_key IS 'the full business key when every key field of the row was usable';
    COMMENT ON COLUMN notice_rows.key_parts IS 'rows rejected without a usable key: {"<1-based key position>": value} of the key fields that were valid';
    CREATE INDEX notice_rows_notice ON notice_rows (notice_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE notice_rows, notices');
}
