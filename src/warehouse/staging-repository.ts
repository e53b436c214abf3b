import type { UnitSession } from './unit-session.ts';

/**
 * The unit's rows on their way in: valid rows with key, hash and data; rejected rows with their raw cells and
 * errors. A temporary table: never WAL-logged, private to the unit's transaction, dropped at commit.
 * The row data is jsonb already here: the server parses it while the client is still reading and validating
 * the file (the server is the other core), instead of during the merge, which nothing overlaps. The rare
 * columns (raw cells and errors of rejected rows, warnings) stay text and are cast where they are stored.
 * `fingerprint` is the raw cells' (src/run/raw-fingerprint.ts), kept in the channel's cache after the merge.
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
  'fingerprint',
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
      objection text,
      fingerprint bigint
    ) ON COMMIT DROP`);
  // The planner needs the staged rows' count, the share rejected and how distinct the keys are: a sample of 3,000
  // rows (statistics target 10) tells them as well as the default 30,000. ANALYZE reads its sample back from the
  // temp table's pages spilled out of temp_buffers, and at 30,000 that cost 0.15–0.2 s a night (20,000 staged
  // rows, 1.5 KB each) against 20 ms.
  await session.query(
    `ALTER TABLE stage ALTER row_number SET STATISTICS 10, ALTER business_key SET STATISTICS 10,
       ALTER errors SET STATISTICS 10, ALTER withdrawal SET STATISTICS 10`,
  );
  // The rows merged while the unit was read (merge-while-reading.ts): the final merge takes them as inserted.
  await session.query(
    `CREATE TEMP TABLE early_inserted (row_number integer PRIMARY KEY, record_id bigint NOT NULL,
                                       version_id bigint NOT NULL) ON COMMIT DROP`,
  );
}

export const COPY_INTO_STAGE = `COPY stage (${STAGE_COLUMNS.join(', ')}) FROM STDIN`;

/** Staged rows that failed validation; repeats of a key inside the file are found only by the merge. */
export async function countInvalidStagedRows(session: UnitSession): Promise<number> {
  const [row] = await session.query<{ count: number }>(
    'SELECT count(*)::int AS count FROM stage WHERE errors IS NOT NULL',
  );
  return row?.count ?? 0;
}

/** A valid staged row whose record's current version was delivered in another layout (catalog version). */
export interface StagedBesideOtherLayout {
  rowNumber: number;
  /** The staged row's content hash, as its own layout computed it. */
  stagedHash: string;
  /** The current version's content and hash. */
  currentData: Record<string, unknown>;
  currentHash: string;
}

/**
 * The unit's valid data rows (no withdrawal requests) whose record is current in a version of another catalog
 * version than the unit's and whose content hash differs from it: the rows a legacy-layout comparison looks at.
 */
export async function stagedBesideOtherLayout(
  session: UnitSession,
  catalogCode: string,
  catalogVersion: number,
): Promise<StagedBesideOtherLayout[]> {
  const rows = await session.query<{
    row_number: number;
    staged_hash: string;
    data: Record<string, unknown>;
    content_hash: string;
  }>(
    `SELECT s.row_number, s.content_hash AS staged_hash, cv.data, cv.content_hash
     FROM stage s
     JOIN records r ON r.catalog_code = $1 AND r.business_key = s.business_key
     JOIN record_versions cv ON cv.id = r.current_version_id
     WHERE s.errors IS NULL AND s.withdrawal IS NULL
       AND cv.catalog_version <> $2 AND cv.content_hash <> s.content_hash
     ORDER BY s.row_number`,
    [catalogCode, catalogVersion],
  );
  return rows.map((row) => ({
    rowNumber: row.row_number,
    stagedHash: row.staged_hash,
    currentData: row.data,
    currentHash: row.content_hash,
  }));
}

/**
 * Gives staged rows the content hash of their record's current version: rows a legacy layout delivers that
 * equal it on every field the layout carries, so the merge takes them for the content they re-deliver.
 */
export async function takeCurrentContentHash(
  session: UnitSession,
  rows: readonly { rowNumber: number; currentHash: string }[],
): Promise<number> {
  if (rows.length === 0) return 0;
  return session.execute(
    `UPDATE stage s SET content_hash = t.content_hash
     FROM unnest($1::int[], $2::text[]) AS t(row_number, content_hash)
     WHERE s.row_number = t.row_number`,
    [rows.map((row) => row.rowNumber), rows.map((row) => row.currentHash)],
  );
}

/** The records the unit's valid staged rows (data or withdrawal requests) reach by business key. */
export async function recordsStagedRowsReach(session: UnitSession, catalogCode: string): Promise<number[]> {
  const rows = await session.query<{ id: string }>(
    `SELECT DISTINCT r.id FROM stage s JOIN records r ON r.catalog_code = $1 AND r.business_key = s.business_key
     WHERE s.errors IS NULL`,
    [catalogCode],
  );
  return rows.map((row) => Number(row.id));
}

/** Rows of the file the fast path had taken, to be staged as their records' current versions (fast-redelivery.ts). */
export interface RestagedRows {
  rowNumber: number[];
  recordId: number[];
  late: boolean[];
  workingDays: (number | null)[];
  /** Signed 64-bit fingerprints as decimal text. */
  fingerprint: string[];
}

/**
 * Stages rows from their records' current versions: the version holds exactly the content the row would have
 * been read into (the fast path takes a row only then), so the merge judges them as if they had been read.
 */
export async function stageFromCurrentVersions(session: UnitSession, rows: RestagedRows): Promise<void> {
  if (rows.rowNumber.length === 0) return;
  await session.query(
    `INSERT INTO stage (row_number, business_key, subject_code, content_hash, formation_date, late, working_days,
                        data, fingerprint)
     SELECT t.row_number, r.business_key, cv.subject_code, cv.content_hash, cv.formation_date, t.late,
            t.working_days, cv.data, t.fingerprint
     FROM unnest($1::int[], $2::bigint[], $3::boolean[], $4::int[], $5::bigint[])
       AS t(row_number, record_id, late, working_days, fingerprint)
     JOIN records r ON r.id = t.record_id JOIN record_versions cv ON cv.id = r.current_version_id`,
    [rows.rowNumber, rows.recordId, rows.late, rows.workingDays, rows.fingerprint],
  );
}
