import type { Warehouse } from '../src/warehouse/connect-warehouse.ts';

/**
 * A warehouse of `records` records (one version and one lineage row each, 300,000 subjects) and `rejections`
 * rejected rows over 2,000 files of 20 providers and three catalog entries (one row in 10,000 of a
 * rare provider `PRARE` and entry `zyzg`, the case a keyset walk in id order handles worst), written straight into the tables.
 */
export async function fillConsoleWarehouse(
  owner: Warehouse,
  { records, rejections }: { records: number; rejections: number },
): Promise<void> {
  const files = 2000;
  await owner.transaction(async (trx) => {
    // Running while their files take rows (migration 052: a finished run's file takes none), then ended.
    await trx.raw(`INSERT INTO runs (kind, status) SELECT 'ingest', 'running' FROM generate_series(1, 200)`);
    await trx.raw(
      `INSERT INTO source_files (run_id, name, catalog_code, provider_code, level, received_at, status, started_at)
       SELECT 1 + i % 200, 'file-' || i || '.csv', (ARRAY['xzcf', 'xzxk', 'frdj'])[1 + i % 3], 'P' || (i % 20),
         'city', timestamptz '2026-01-01 08:00+08' + i * interval '4 hours', 'loaded', now()
       FROM generate_series(1, ?) i`,
      [files],
    );
    await trx.raw(
      `INSERT INTO records (id, catalog_code, business_key, subject_code, current_version_id, level)
       SELECT i, 'xzcf', 'AUTH' || (i % 97) || chr(31) || '鲁罚〔2026〕' || i || '号' || chr(31) || 'S' || (i % 300000),
         'S' || (i % 300000), i, 'city'
       FROM generate_series(1, ?) i`,
      [records],
    );
    await trx.raw(
      `INSERT INTO record_versions (id, record_id, version_no, data, content_hash, catalog_version, source_file_id,
         row_number, subject_code)
       SELECT i, i, 1, jsonb_build_object('CF_WSH', '鲁罚〔2026〕' || i || '号'), md5(i::text), 1, 1 + i % ?, i,
         'S' || (i % 300000)
       FROM generate_series(1, ?) i`,
      [files, records],
    );
    await trx.raw(
      `INSERT INTO record_sources (record_id, version_id, outcome, run_id, source_file_id, row_number,
         provider_code, level, content_hash, received_at)
       SELECT i, i, 'inserted', 1 + (i % ?) % 200, 1 + i % ?, i, 'P' || ((1 + i % ?) % 20), 'city', md5(i::text),
         timestamptz '2026-01-01 08:00+08' + (1 + i % ?) * interval '4 hours'
       FROM generate_series(1, ?) i`,
      [files, files, files, files, records],
    );
    await trx.raw(
      `INSERT INTO rejections (run_id, source_file_id, row_number, catalog_code, provider_code, raw, errors)
       SELECT 1 + f % 200, f, i, CASE WHEN i % 10000 = 0 THEN 'zyzg' ELSE (ARRAY['xzcf', 'xzxk', 'frdj'])[1 + f % 3] END,
         CASE WHEN i % 10000 = 0 THEN 'PRARE' ELSE 'P' || (f % 20) END,
         jsonb_build_object('CF_XDR_SHXYM', 'X' || i),
         jsonb_build_array(jsonb_build_object('field', 'CF_XDR_SHXYM', 'value', 'X' || i, 'message', '统一社会信用代码校验位错误',
           'code', (ARRAY['uscc-check-digit', 'missing-value', 'date-format', 'enum-value', 'resident-id-check-digit',
             'uscc-charset', 'date-future', 'duplicate-key-in-batch', 'wrong-type', 'org-code-check'])[1 + i % 10]))
       FROM (SELECT i, 1 + i % ? AS f FROM generate_series(1, ?) i) g`,
      [files, rejections],
    );
    await trx.raw(`UPDATE runs SET status = 'completed', finished_at = now()`);
    await trx.raw(`SELECT setval('records_id_seq', ?), setval('record_versions_id_seq', ?)`, [
      records,
      records,
    ]);
  });
  await owner.raw('ANALYZE');
}
