import { STAGE_COLUMNS, type StageColumn } from '../warehouse/staging-repository.ts';
import { type CopyValue, copyField } from './copy-text.ts';

/** A staged row as one COPY line of the staging table (src/warehouse/staging-repository.ts). */
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
  /** The source's withdrawal signal (`del_flag=1`): the row asks to withdraw its record and is not data. */
  withdrawal?: string | undefined;
  /** The source's objection signal (`当前状态=2`): the row is data and says an objection is under way. */
  objection?: string | undefined;
  /** The raw cells' fingerprint (raw-fingerprint.ts), by which a later re-delivery of the row is recognised. */
  fingerprint?: string | undefined;
}

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
    withdrawal: row.withdrawal,
    objection: row.objection,
    fingerprint: row.fingerprint,
  });
}

export function rejectedLine(rowNumber: number, raw: Record<string, string>, errors: unknown[]): string {
  return stageLine({ row_number: rowNumber, raw: JSON.stringify(raw), errors: JSON.stringify(errors) });
}
