import type { Warehouse } from './connect-warehouse.ts';

/**
 * What the objection workflow reads of a record's versions (src/objections/objection-workflow.ts): the decision
 * date and the day of first load a receipt may not precede, and the provider's corrected re-delivery that carries out a result.
 */

/** The decision (formation) date of a record's current version: null when it has none, undefined: no record. */
export async function recordFormationDate(
  db: Warehouse,
  recordId: number,
): Promise<string | null | undefined> {
  const row: { formation_date: string | null } | undefined = await db('records as r')
    .leftJoin('record_versions as v', 'v.id', 'r.current_version_id')
    .where('r.id', recordId)
    .first(db.raw(`to_char(v.formation_date, 'YYYY-MM-DD') AS formation_date`));
  return row === undefined ? undefined : row.formation_date;
}

/**
 * The day (YYYY-MM-DD, Asia/Shanghai) a record came into the warehouse: its first version's load time (the start
 * of the load's or the procedure's transaction), the day from which `--as-of` views know it. Undefined: no such
 * record.
 */
export async function recordFirstLoadedOn(db: Warehouse, recordId: number): Promise<string | undefined> {
  const row: { day: string | null } | undefined = await db('record_versions')
    .where('record_id', recordId)
    .first(db.raw(`to_char(min(created_at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS day`));
  return row?.day ?? undefined;
}

/** One version of a record, by its number (`v2` in `record`). */
export interface NumberedVersion {
  id: number;
  versionNo: number;
}

export async function versionOfRecord(
  db: Warehouse,
  recordId: number,
  versionNo: number,
): Promise<NumberedVersion | undefined> {
  return db('record_versions')
    .where({ record_id: recordId, version_no: versionNo })
    .first<NumberedVersion | undefined>('id', 'version_no as versionNo');
}
