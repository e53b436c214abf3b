import type { Knex } from 'knex';

const LEVELS = `'province', 'city', 'county'`;

/**
 * The warehouse: runs and the files they read, records (current state: keys, flags and a pointer), their
 * append-only versions (the only copy of row data), lineage per delivered row, and rejections.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE runs (
      id bigserial PRIMARY KEY,
      kind text NOT NULL,
      pipeline text,
      status text NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'completed', 'failed', 'failed-threshold', 'interrupted')),
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      counts jsonb NOT NULL DEFAULT '{}',
      errors_by_code jsonb NOT NULL DEFAULT '{}',
      error text,
      options jsonb NOT NULL DEFAULT '{}',
      host text,
      pid integer
    );
    CREATE INDEX runs_started_at ON runs (started_at DESC);

    CREATE TABLE source_files (
      id bigserial PRIMARY KEY,
      run_id bigint NOT NULL REFERENCES runs (id),
      name text NOT NULL,
      path text,
      size_bytes bigint,
      sha256 text,
      format text,
      encoding text,
      columns jsonb,
      catalog_code text NOT NULL,
      catalog_version integer,
      provider_code text NOT NULL,
      level text NOT NULL CHECK (level IN (${LEVELS})),
      received_at timestamptz NOT NULL,
      status text NOT NULL CHECK (status IN ('loaded', 'failed', 'failed-threshold')),
      counts jsonb NOT NULL DEFAULT '{}',
      blank_lines integer NOT NULL DEFAULT 0,
      error_code text,
      error text,
      started_at timestamptz NOT NULL,
      finished_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX source_files_run ON source_files (run_id);
    CREATE INDEX source_files_sha256 ON source_files (sha256);

    CREATE TABLE records (
      id bigserial PRIMARY KEY,
      catalog_code text NOT NULL,
      business_key text NOT NULL,
      subject_code text,
      current_version_id bigint NOT NULL,
      level text NOT NULL CHECK (level IN (${LEVELS})),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (catalog_code, business_key)
    );
    COMMENT ON COLUMN records.level IS 'highest-precedence channel that delivered the current content';
    CREATE INDEX records_subject ON records (subject_code);

    CREATE TABLE record_versions (
      id bigserial PRIMARY KEY,
      record_id bigint NOT NULL REFERENCES records (id),
      version_no integer NOT NULL,
      data jsonb NOT NULL,
      content_hash text NOT NULL,
      catalog_version integer NOT NULL,
      formation_date date,
      source_file_id bigint NOT NULL REFERENCES source_files (id),
      row_number integer NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (record_id, version_no)
    );
    ALTER TABLE records ADD CONSTRAINT records_current_version_fk
      FOREIGN KEY (current_version_id) REFERENCES record_versions (id) DEFERRABLE INITIALLY DEFERRED;

    CREATE TABLE record_sources (
      id bigserial PRIMARY KEY,
      record_id bigint NOT NULL REFERENCES records (id),
      version_id bigint REFERENCES record_versions (id),
      outcome text NOT NULL CHECK (outcome IN ('inserted', 'updated', 'unchanged', 'merged', 'conflict')),
      run_id bigint NOT NULL REFERENCES runs (id),
      source_file_id bigint NOT NULL REFERENCES source_files (id),
      row_number integer NOT NULL,
      provider_code text NOT NULL,
      level text NOT NULL CHECK (level IN (${LEVELS})),
      content_hash text NOT NULL,
      conflict_data jsonb,
      received_at timestamptz NOT NULL,
      late boolean NOT NULL DEFAULT false,
      working_days integer,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    COMMENT ON COLUMN record_sources.conflict_data IS 'content of a lower-precedence delivery that differed: kept, not applied';
    CREATE INDEX record_sources_record ON record_sources (record_id);
    CREATE INDEX record_sources_file ON record_sources (source_file_id);

    CREATE TABLE rejections (
      id bigserial PRIMARY KEY,
      run_id bigint NOT NULL REFERENCES runs (id),
      source_file_id bigint NOT NULL REFERENCES source_files (id),
      row_number integer NOT NULL,
      catalog_code text NOT NULL,
      provider_code text NOT NULL,
      raw jsonb NOT NULL,
      errors jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    COMMENT ON COLUMN rejections.raw IS 'cells as received, keyed by field code (source headers are in source_files.columns)';
    CREATE INDEX rejections_run ON rejections (run_id);
    CREATE INDEX rejections_file ON rejections (source_file_id);

    -- Art. 14: data is never altered or deleted outside a legal procedure. History, lineage and rejections
    -- are append-only; a documented procedure sets credit_etl.legal_procedure = 'on' in its transaction.
    CREATE FUNCTION forbid_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF current_setting('credit_etl.legal_procedure', true) = 'on' THEN
        RETURN COALESCE(NEW, OLD);
      END IF;
      RAISE EXCEPTION '% is append-only: rows are never updated or deleted outside a legal procedure', TG_TABLE_NAME;
    END $$;
    CREATE TRIGGER record_versions_append_only BEFORE UPDATE OR DELETE ON record_versions
      FOR EACH ROW EXECUTE FUNCTION forbid_history_change();
    CREATE TRIGGER record_sources_append_only BEFORE UPDATE OR DELETE ON record_sources
      FOR EACH ROW EXECUTE FUNCTION forbid_history_change();
    CREATE TRIGGER rejections_append_only BEFORE UPDATE OR DELETE ON rejections
      FOR EACH ROW EXECUTE FUNCTION forbid_history_change();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE rejections, record_sources, record_versions, records, source_files, runs CASCADE;
    DROP FUNCTION forbid_history_change();
  `);
}
