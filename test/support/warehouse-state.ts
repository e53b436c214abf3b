import type { Warehouse } from '../../src/warehouse/connect-warehouse.ts';

/**
 * The warehouse's content in a canonical form, to compare two loads of the same deliveries: per table, the row
 * count and an md5 over its rows sorted, each row as JSON without what differs between any two loads (ids,
 * times, the process, the hash chain and file digests that fold those in). What an id pointed to is kept by
 * meaning: a record's business key, a version's number.
 */
export async function warehouseState(
  warehouse: Warehouse,
): Promise<Record<string, { rows: number; md5: string }>> {
  const tables: Record<string, string> = {
    records: `SELECT to_jsonb(r) - ${DROPPED} || jsonb_build_object('current_version_no', v.version_no) AS row
              FROM records r LEFT JOIN record_versions v ON v.id = r.current_version_id`,
    record_versions: `SELECT to_jsonb(v) - ${DROPPED} || jsonb_build_object('business_key', r.business_key) AS row
                      FROM record_versions v JOIN records r ON r.id = v.record_id`,
    record_sources: `SELECT to_jsonb(s) - ${DROPPED}
                       || jsonb_build_object('business_key', r.business_key, 'version_no', v.version_no) AS row
                     FROM record_sources s JOIN records r ON r.id = s.record_id
                     LEFT JOIN record_versions v ON v.id = s.version_id`,
    rejections: `SELECT to_jsonb(j) - ${DROPPED} AS row FROM rejections j`,
    source_files: `SELECT to_jsonb(f) - ${DROPPED} AS row FROM source_files f`,
    runs: `SELECT to_jsonb(u) - ${DROPPED} - 'options' AS row FROM runs u`,
  };
  const state: Record<string, { rows: number; md5: string }> = {};
  for (const [table, select] of Object.entries(tables)) {
    const result = await warehouse.raw<{ rows: { rows: number; md5: string | null }[] }>(
      `SELECT count(*)::int AS rows, md5(string_agg(row::text, E'\\n' ORDER BY row::text)) AS md5 FROM (${select}) t`,
    );
    const row = result.rows[0];
    state[table] = { rows: row?.rows ?? 0, md5: row?.md5 ?? '' };
  }
  return state;
}

/** Columns that differ between two loads of the same content: ids, times, the process, chain and digest hashes. */
const DROPPED = `ARRAY['id', 'record_id', 'version_id', 'current_version_id', 'run_id', 'source_file_id', 'same_content_as',
  'created_at', 'updated_at', 'started_at', 'finished_at', 'job_id', 'host', 'pid', 'chain_hash', 'digest', 'digest_v2', 'path']`;
