import type { UnitSession } from './unit-session.ts';

/**
 * The unit's rows on their way in: valid rows with key, hash and data; rejected rows with their raw cells and
 * errors. A temporary table: never WAL-logged, private to the unit's transaction, dropped at commit.
 * The row data is jsonb already here: the server parses it while the client is still reading and validating
 * the file (the server is the other core), instead of during the merge, which nothing overlaps. The rare
 * columns (raw cells and errors of rejected rows, warnings) stay text and are cast where they are stored.
 * `withdrawal` holds the source's withdrawal signal (`del_flag=1`) of a row that asks to withdraw its record
 * rather than deliver it; `objection` the signal of a data row that says an objection is under way.
 * The COPY lines that fill it are written by src/load/stage-lines.ts, column by column in this order.
 */
export const STAGE_COLUMNS = [
  'row_number',
  'business_key',
  'subject_code',
  'content_hash',
  'formation_date',
  'late',
  'working_days',
  'received_at',
  'data',
  'raw',
  'errors',
  'warnings',
  'withdrawal',
  'objection',
] as const;

export type StageColumn = (typeof STAGE_COLUMNS)[number];

export async function createStageTable(session: UnitSession): Promise<void> {
  await session.query(`
    CREATE TEMP TABLE stage (
      row_number integer NOT NULL,
      business_key text,
      subject_code text,
      content_hash text,
      formation_date date,
      late boolean,
      working_days integer,
      received_at timestamptz,
      data jsonb,
      raw text,
      errors text,
      warnings text,
      withdrawal text,
      objection text
    ) ON COMMIT DROP`);
}

export const COPY_INTO_STAGE = `COPY stage (${STAGE_COLUMNS.join(', ')}) FROM STDIN`;

/** Staged rows that failed validation; repeats of a key inside the file are found only by the merge. */
export async function countInvalidStagedRows(session: UnitSession): Promise<number> {
  const [row] = await session.query<{ count: number }>(
    'SELECT count(*)::int AS count FROM stage WHERE errors IS NOT NULL',
  );
  return row?.count ?? 0;
}
