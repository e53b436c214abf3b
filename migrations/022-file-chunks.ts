import type { Knex } from 'knex';
import { grantTo, WAREHOUSE_ROLES } from './grant-roles.ts';

/**
 * Big files in chunks (issue #19): a CSV larger than CREDIT_ETL_CHUNK_BYTES is split at record boundaries by one
 * streaming pass, its chunks are read and checked by several workers at once, each staged in one transaction into
 * the file's shared staging table, and the file is merged once, by one worker, in the one transaction that loads
 * any unit (src/run/chunks/). Nothing here is part of the legal record: it is bookkeeping of work in progress.
 *
 * - `chunked_loads`: one row per file being loaded in chunks: what every worker needs to read a chunk exactly as
 *   the single-worker load would (the unit request, the CSV layout), and the name of its staging table.
 * - `file_chunks`: one row per chunk: its byte range, the file row number and physical line its first record
 *   has, how many records it holds (blank lines included) and the sha256 of its bytes (a worker checks both), and
 *   its state. A worker claims a chunk by locking its row (FOR UPDATE SKIP LOCKED) in the transaction that stages
 *   it: a worker that dies rolls back its rows and its claim together, and the chunk is pending again.
 * - schema `chunk_staging`: the shared staging tables (UNLOGGED: never WAL-logged, as the private `stage`
 *   table; lost in a server crash, which the merge detects by counting). The loader creates and drops them there,
 *   and nowhere else.
 */
export async function up(knex: Knex): Promise<void> {
  const { loader } = WAREHOUSE_ROLES;
  await knex.raw(`
    CREATE SCHEMA chunk_staging;
    GRANT USAGE, CREATE ON SCHEMA chunk_staging TO ${loader};
    COMMENT ON SCHEMA chunk_staging IS 'shared staging tables of files loaded in chunks (src/run/chunks/): work in progress, never the record';

    CREATE TABLE chunked_loads (
      id bigserial PRIMARY KEY,
      run_id bigint NOT NULL REFERENCES runs (id),
      unit_name text NOT NULL,
      path text NOT NULL,
      size_bytes bigint NOT NULL,
      sha256 text NOT NULL,
      staging_table text NOT NULL,
      chunk_count integer NOT NULL CHECK (chunk_count > 0),
      request jsonb NOT NULL,
      state text NOT NULL DEFAULT 'staging' CHECK (state IN ('staging', 'merged', 'failed', 'abandoned')),
      created_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz
    );
    COMMENT ON TABLE chunked_loads IS 'a file loaded in chunks by several workers and merged once (src/run/chunks/)';
    COMMENT ON COLUMN chunked_loads.request IS 'what a chunk worker needs: the unit request (catalog entry, mapping, day) and the CSV layout (encoding, delimiter, newline, header)';
    COMMENT ON COLUMN chunked_loads.state IS 'staging: chunks being staged; merged: the file''s merge ran (loaded, held back or skipped); failed; abandoned: its coordinator is gone';

    CREATE TABLE file_chunks (
      load_id bigint NOT NULL REFERENCES chunked_loads (id),
      chunk_no integer NOT NULL CHECK (chunk_no >= 0),
      start_byte bigint NOT NULL CHECK (start_byte >= 0),
      end_byte bigint NOT NULL,
      first_row integer NOT NULL,
      first_line integer NOT NULL,
      records integer NOT NULL,
      sha256 text NOT NULL,
      state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'staged', 'failed')),
      staged_rows integer,
      blank_lines integer,
      worker text,
      error jsonb,
      staged_at timestamptz,
      PRIMARY KEY (load_id, chunk_no),
      CHECK (end_byte > start_byte)
    );
    COMMENT ON TABLE file_chunks IS 'the chunks of a file loaded in chunks: byte range, first row number, state';
    COMMENT ON COLUMN file_chunks.first_row IS 'the file row number (header = 1) of the chunk''s first record';
    COMMENT ON COLUMN file_chunks.records IS 'records in the byte range, blank lines included, as the planning pass parsed them';
  `);
  await grantTo(knex, 'INSERT', 'chunked_loads', loader);
  await grantTo(knex, 'UPDATE (state, finished_at)', 'chunked_loads', loader);
  await grantTo(knex, 'INSERT', 'file_chunks', loader);
  await grantTo(
    knex,
    'UPDATE (state, staged_rows, blank_lines, worker, error, staged_at)',
    'file_chunks',
    loader,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE file_chunks;
    DROP TABLE chunked_loads;
    DROP SCHEMA chunk_staging CASCADE;
  `);
}
