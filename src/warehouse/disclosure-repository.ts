import type { ChannelLevel } from '../catalog/catalog-entry.ts';
import { AS_OF, STATUS_THEN, VERSION_THEN } from './as-of-bound.ts';
import type { Warehouse } from './connect-warehouse.ts';
import type { RowData } from './records-repository.ts';

/**
 * What public disclosure reads (014-credit-repair.ts): which records a credit repair ended, and every record of
 * a catalog entry with its current version, page by page, for the disclosure report. A record's repairs are the
 * `repair` entries of the procedure log that name it: more than one when an earlier one predates the severity now
 * in force (057-repair-after-severity-raise.ts); which one is in force is the disclosure's to say.
 */

/** A record's credit repair: its procedure_log entry and the day it was performed (Asia/Shanghai). */
export interface RepairRow {
  procedureId: number;
  on: string;
}

/** The repairs of the given records, by record id, oldest first. */
export async function repairMarks(
  warehouse: Warehouse,
  recordIds: readonly number[],
): Promise<Map<number, RepairRow[]>> {
  const marks = new Map<number, RepairRow[]>();
  if (recordIds.length === 0) return marks;
  const rows: Array<{ record_id: number; id: number; on: string }> = (
    await warehouse.raw(
      `SELECT record_id, id, to_char(performed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS on
       FROM procedure_log WHERE kind = 'repair' AND record_id = ANY (?::bigint[])
       ORDER BY performed_at, id`,
      [[...recordIds]],
    )
  ).rows;
  for (const row of rows) {
    const mark = { procedureId: row.id, on: row.on };
    const marked = marks.get(row.record_id);
    if (marked) marked.push(mark);
    else marks.set(row.record_id, [mark]);
  }
  return marks;
}

/** A record's repairs, oldest first, as one JSON array column (`r` is the record). */
const REPAIRS_OF_RECORD = `COALESCE((SELECT jsonb_agg(jsonb_build_object('procedureId', p.id,
    'on', to_char(p.performed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')) ORDER BY p.performed_at, p.id)
  FROM procedure_log p WHERE p.record_id = r.id AND p.kind = 'repair'), '[]'::jsonb) AS repairs`;

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
  /** Its credit repairs, oldest first. */
  repairs: RepairRow[];
}

/** The catalog codes that have records, alphabetically. */
export async function recordedCatalogCodes(warehouse: Warehouse): Promise<string[]> {
  const rows: Array<{ catalog_code: string }> = await warehouse('records')
    .distinct('catalog_code')
    .orderBy('catalog_code');
  return rows.map((row) => row.catalog_code);
}

/** A record as it stood at the end of a past day: its status and the version current then. */
export interface RecordThenRow {
  id: number;
  status: 'current' | 'withdrawn' | 'superseded';
  catalogCode: string;
  catalogVersion: number;
  data: RowData;
  formationDate: string | null;
}

/**
 * The given records as they stood at the end of `day` (YYYY-MM-DD, Asia/Shanghai), by record id, in one query. A
 * record not yet in the warehouse then is not in the map.
 */
export async function recordsAsOf(
  warehouse: Warehouse,
  recordIds: readonly number[],
  day: string,
): Promise<Map<number, RecordThenRow>> {
  const records = new Map<number, RecordThenRow>();
  if (recordIds.length === 0) return records;
  const rows: RecordThenRow[] = (
    await warehouse.raw(
      `${AS_OF}
       SELECT r.id, ${STATUS_THEN} AS status, r.catalog_code AS "catalogCode", v.data,
              v.catalog_version AS "catalogVersion", to_char(v.formation_date, 'YYYY-MM-DD') AS "formationDate"
       FROM records r CROSS JOIN as_of JOIN ${VERSION_THEN} ON true
       WHERE r.id = ANY (?::bigint[])`,
      [day, [...recordIds]],
    )
  ).rows;
  for (const row of rows) records.set(row.id, row);
  return records;
}

/**
 * One keyset page of a catalog entry's records (every status), ids above `after`, in id order: as they are now,
 * or, given a past `day` (YYYY-MM-DD, Asia/Shanghai), as they stood at its end: each with its status and current
 * version of then, and only the records the warehouse held then.
 */
export async function disclosurePage(
  warehouse: Warehouse,
  catalogCode: string,
  after: number,
  pageSize: number,
  day: string | null = null,
): Promise<DisclosureRecordRow[]> {
  if (day !== null) {
    return (
      await warehouse.raw(
        `${AS_OF}
         SELECT r.id, r.catalog_code AS "catalogCode", ${STATUS_THEN} AS status, COALESCE(v.subject_code, r.subject_code) AS "subjectCode",
                r.level, v.data, v.catalog_version AS "catalogVersion",
                to_char(v.formation_date, 'YYYY-MM-DD') AS "formationDate",
                ${REPAIRS_OF_RECORD}
         FROM records r
         CROSS JOIN as_of
         JOIN ${VERSION_THEN} ON true
         WHERE r.catalog_code = ? AND r.id > ?
         ORDER BY r.id LIMIT ?`,
        [day, catalogCode, after, pageSize],
      )
    ).rows;
  }
  return (
    await warehouse.raw(
      `SELECT r.id, r.catalog_code AS "catalogCode", r.status, r.subject_code AS "subjectCode", r.level,
              v.data, v.catalog_version AS "catalogVersion", to_char(v.formation_date, 'YYYY-MM-DD') AS "formationDate",
              ${REPAIRS_OF_RECORD}
       FROM records r
       JOIN record_versions v ON v.id = r.current_version_id
       WHERE r.catalog_code = ? AND r.id > ?
       ORDER BY r.id LIMIT ?`,
      [catalogCode, after, pageSize],
    )
  ).rows;
}
