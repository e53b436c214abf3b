import type { UnitSession } from '../warehouse/unit-session.ts';
import { type CopyValue, copyLine } from './copy-text.ts';

/**
 * The unit's rows on their way in: valid rows with key, hash and data; rejected rows with their raw cells and
 * errors. A temporary table: never WAL-logged, private to the unit's transaction, dropped at commit.
 */
export const STAGE_COLUMNS = [
  'row_number',
  'business_key',
  'subject_code',
  'content_hash',
  'formation_date',
  'late',
  'working_days',
  'data',
  'raw',
  'errors',
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
      data jsonb,
      raw jsonb,
      errors jsonb
    ) ON COMMIT DROP`);
}

export const COPY_INTO_STAGE = `COPY stage (${STAGE_COLUMNS.join(', ')}) FROM STDIN`;

export interface StagedValid {
  rowNumber: number;
  businessKey: string;
  subjectCode: string | undefined;
  contentHash: string;
  formationDate: string | undefined;
  late: boolean;
  workingDays: number | undefined;
  /** The normalized row as canonical JSON. */
  json: string;
}

export function validLine(row: StagedValid): string {
  const values: CopyValue[] = [
    row.rowNumber,
    row.businessKey,
    row.subjectCode,
    row.contentHash,
    row.formationDate,
    row.late,
    row.workingDays,
    row.json,
    null,
    null,
  ];
  return copyLine(values);
}

export function rejectedLine(rowNumber: number, raw: Record<string, string>, errors: unknown[]): string {
  return copyLine([
    rowNumber,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    JSON.stringify(raw),
    JSON.stringify(errors),
  ]);
}
