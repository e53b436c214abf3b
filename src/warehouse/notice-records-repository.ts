import type { Warehouse } from './connect-warehouse.ts';

/**
 * The record each row of a notice is about, in one query: a conflict row's record (its lineage row), or the
 * record that holds a rejected row's full business key (a failed redelivery of a record already loaded). Rows
 * about no record (a rejected row of a new key, or one without a usable key) are absent.
 */
export async function noticeRowRecordIds(
  warehouse: Warehouse,
  noticeId: number,
): Promise<Map<number, number>> {
  const { rows } = await warehouse.raw<{ rows: { id: number; record_id: number }[] }>(
    `SELECT nr.id, coalesce(s.record_id, r.id) AS record_id
     FROM notice_rows nr
     LEFT JOIN record_sources s ON s.id = nr.record_source_id
     LEFT JOIN records r ON nr.record_source_id IS NULL
       AND r.catalog_code = nr.catalog_code AND r.business_key = nr.business_key
     WHERE nr.notice_id = ? AND coalesce(s.record_id, r.id) IS NOT NULL`,
    [noticeId],
  );
  return new Map(rows.map((row) => [row.id, row.record_id]));
}
