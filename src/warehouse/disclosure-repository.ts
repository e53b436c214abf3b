import type { ChannelLevel } from '../catalog/catalog-entry.ts';
import type { Warehouse } from './connect-warehouse.ts';
import type { RowData } from './records-repository.ts';

/**
 * What public disclosure reads (014-credit-repair.ts): which records a credit repair ended, and every record of
 * a catalog entry with its current version, page by page, for the disclosure report. A record is repaired
 * exactly when a `repair` entry of the procedure log names it.
 */

/** A record's credit repair: its procedure_log entry and the day it was performed (Asia/Shanghai). */
export interface RepairRow {
  procedureId: number;
  on: string;
}

/** The repairs of the given records, by record id. */
export async function repairMarks(
  warehouse: Warehouse,
  recordIds: readonly number[],
): Promise<Map<number, RepairRow>> {
  const marks = new Map<number, RepairRow>();
  if (recordIds.length === 0) return marks;
  const rows: Array<{ record_id: number; id: number; on: string }> = (
    await warehouse.raw(
      `SELECT record_id, id, to_char(performed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS on
       FROM procedure_log WHERE kind = 'repair' AND record_id = ANY (?::bigint[])`,
      [[...recordIds]],
    )
  ).rows;
  for (const row of rows) marks.set(row.record_id, { procedureId: row.id, on: row.on });
  return marks;
}

/** One record as the disclosure report reads it: its state, its current version, its repair. */
export interface DisclosureRecordRow {
  id: number;
  catalogCode: string;
  status: 'current' | 'withdrawn' | 'superseded';
  subjectCode: string | null;
  level: ChannelLevel;
  data: RowData;
  catalogVersion: number;
  formationDate: string | null;
  repairProcedureId: number | null;
  repairOn: string | null;
}

/** The catalog codes that have records, alphabetically. */
export async function recordedCatalogCodes(warehouse: Warehouse): Promise<string[]> {
  const rows: Array<{ catalog_code: string }> = await warehouse('records')
    .distinct('catalog_code')
    .orderBy('catalog_code');
  return rows.map((row) => row.catalog_code);
}

/** One keyset page of a catalog entry's records (every status), ids above `after`, in id order. */
export async function disclosurePage(
  warehouse: Warehouse,
  catalogCode: string,
  after: number,
  pageSize: number,
): Promise<DisclosureRecordRow[]> {
  return (
    await warehouse.raw(
      `SELECT r.id, r.catalog_code AS "catalogCode", r.status, r.subject_code AS "subjectCode", r.level,
              v.data, v.catalog_version AS "catalogVersion", to_char(v.formation_date, 'YYYY-MM-DD') AS "formationDate",
              p.id AS "repairProcedureId",
              to_char(p.performed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS "repairOn"
       FROM records r
       JOIN record_versions v ON v.id = r.current_version_id
       LEFT JOIN procedure_log p ON p.record_id = r.id AND p.kind = 'repair'
       WHERE r.catalog_code = ? AND r.id > ?
       ORDER BY r.id LIMIT ?`,
      [catalogCode, after, pageSize],
    )
  ).rows;
}
