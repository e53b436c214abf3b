import type { UnitSession } from '../warehouse/unit-session.ts';
import { type CopyValue, copyField } from './copy-text.ts';

/**
 * The unit's rows on their way in: valid rows with key, hash and data; rejected rows with their raw cells and
 * errors. A temporary table: never WAL-logged, private to the unit's transaction, dropped at commit.
 * The row data is jsonb already here: the server parses it while the client is still reading and validating
 * the file (the server is the other core), instead of during the merge, which nothing overlaps. The rare
 * columns (raw cells and errors of rejected rows, warnings) stay text and are cast where they are stored.
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
] as const;

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
      warnings text
    ) ON COMMIT DROP`);
}

export const COPY_INTO_STAGE = `COPY stage (${STAGE_COLUMNS.join(', ')}) FROM STDIN`;

export interface StagedValid {
  rowNumber: number;
  businessKey: string;
  subjectCode: string | undefined;
  contentHash: string;
  formationDate: string | undefined;
  /** Undefined while pending: no calendar data yet for a year between formation and receipt. */
  late: boolean | undefined;
  workingDays: number | undefined;
  /** Set when the channel gives a per-row time; else the unit's received time applies. */
  receivedAt: Date | undefined;
  /** The normalized row as canonical JSON. */
  json: string;
  /** Warning-level problems (JSON array of RowError) kept in the row's lineage; the row is still loaded. */
  warnings?: string | undefined;
}

type StageColumn = (typeof STAGE_COLUMNS)[number];

/** One staging line; columns by name, so adding a column cannot shift the others. */
function stageLine(values: Partial<Record<StageColumn, CopyValue>>): string {
  // Written straight into the line (no array of values per row): once per row of every load.
  let line = copyField(values[STAGE_COLUMNS[0]]);
  for (let i = 1; i < STAGE_COLUMNS.length; i++) line += `\t${copyField(values[STAGE_COLUMNS[i]!])}`;
  return `${line}\n`;
}

export function validLine(row: StagedValid): string {
  return stageLine({
    row_number: row.rowNumber,
    business_key: row.businessKey,
    subject_code: row.subjectCode,
    content_hash: row.contentHash,
    formation_date: row.formationDate,
    late: row.late,
    working_days: row.workingDays,
    received_at: row.receivedAt?.toISOString(),
    data: row.json,
    warnings: row.warnings,
  });
}

export function rejectedLine(rowNumber: number, raw: Record<string, string>, errors: unknown[]): string {
  return stageLine({ row_number: rowNumber, raw: JSON.stringify(raw), errors: JSON.stringify(errors) });
}
