import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVINCE = { level: 'province', provider: '113700000000000000' } as const;
const CITY = { level: 'city', provider: '113701000000000000' } as const;
const day = (n: number) => new Date(`2026-11-${String(10 + n).padStart(2, '0')}T10:00:00+08:00`);

/*
 * record_delivered_by (045) answers for one file and one record what delivered_records (017) answers for the
 * whole file: the notices ask it per record. Every pair of a channel's history must agree: nightly dumps counted
 * in summaries (compact and fast path), a row dropped (an absence) and back, a corrected row, a small file
 * written out whole (it ends every run), another channel re-delivering and conflicting in between.
 */
describe('record_delivered_by against delivered_records', () => {
  let fx: WarehouseFixture;

  beforeAll(async () => {
    fx = await openWarehouseFixture('record_delivered_by');
    const rows = basePenalties(30);
    const corrected = rows.map((row, i) =>
      i === 3 ? edit(row, { 处罚内容: '罚款人民币2万元（更正）' }) : row,
    );
    const cityRows = [rows[0]!, edit(rows[1]!, { 处罚内容: '罚款人民币9万元（市级）' }), rows[2]!];
    const deliveries: { name: string; channel: typeof PROVINCE | typeof CITY; rows: PenaltyRow[] }[] = [
      { name: 'p1.csv', channel: PROVINCE, rows },
      { name: 'p2.csv', channel: PROVINCE, rows: [...rows].reverse() },
      { name: 'c1.csv', channel: CITY, rows: cityRows },
      { name: 'c2.csv', channel: CITY, rows: [...cityRows].reverse() },
      { name: 'p3.csv', channel: PROVINCE, rows: corrected.filter((_, i) => i !== 7) },
      { name: 'p4.csv', channel: PROVINCE, rows: corrected },
      { name: 'p5.csv', channel: PROVINCE, rows: corrected.slice(0, 2) },
      // Without row 9, whose run p5 ended: not standing, so not absent either; back in p7 by a lineage row.
      { name: 'p6.csv', channel: PROVINCE, rows: corrected.filter((_, i) => i !== 9) },
      { name: 'p7.csv', channel: PROVINCE, rows: [...corrected].reverse() },
      { name: 'c3.csv', channel: CITY, rows: [cityRows[1]!, cityRows[0]!, cityRows[2]!] },
    ];
    for (const [n, delivery] of deliveries.entries()) {
      await fx.ingest([writeRows(fx.scratch, delivery.name, delivery.rows)], {
        ...delivery.channel,
        receivedAt: day(n),
      });
    }
  }, 180_000);
  afterAll(async () => fx?.close());

  it('agrees for every file and record, compacted re-deliveries and absences included', async () => {
    const { rows } = await fx.warehouse.raw<{
      rows: { file: string; record: number; by_function: boolean; by_set: boolean; lineage: boolean }[];
    }>(
      `SELECT f.name AS file, r.id::int AS record, record_delivered_by(f.id, r.id) AS by_function,
         r.id IN (SELECT delivered_records(f.id)) AS by_set,
         EXISTS (SELECT 1 FROM record_sources s WHERE s.source_file_id = f.id AND s.record_id = r.id) AS lineage
       FROM source_files f CROSS JOIN records r WHERE f.status = 'loaded' ORDER BY f.id, r.id`,
    );
    expect(rows.length).toBe(10 * 30);
    expect(rows.filter((row) => row.by_set).length).toBeGreaterThan(0);
    expect(rows.filter((row) => row.by_function !== row.by_set)).toEqual([]);
    const perFile = Object.fromEntries(
      [...new Set(rows.map((row) => row.file))].map((file) => [
        file,
        rows.filter((row) => row.file === file && row.by_set && !row.lineage).length,
      ]),
    );
    // Every kind of pair is there, so the agreement says something: whole dumps counted in summaries (p2, p7), a
    // corrected row written out and one absent (p3: 28), the absent one back by a lineage row (p4: 29), the small
    // p5 written out whole ending every run but its own two records' (p6: 2, row 9 neither delivered nor absent), the city beside a conflict (2 of 3).
    expect(perFile).toEqual({
      'p1.csv': 0,
      'p2.csv': 30,
      'c1.csv': 0,
      'c2.csv': 2,
      'p3.csv': 28,
      'p4.csv': 29,
      'p5.csv': 0,
      'p6.csv': 2,
      'p7.csv': 29,
      'c3.csv': 2,
    });
    const { rows: absences } = await fx.warehouse.raw<{ rows: { n: number }[] }>(
      'SELECT count(*)::int AS n FROM unchanged_delivery_absences',
    );
    expect(absences[0]!.n).toBe(1);
  });

  it('may be called by every warehouse role, with its search path pinned', async () => {
    const { rows } = await fx.owner.raw<{ rows: { role: string; may: boolean }[] }>(
      `SELECT r.role, has_function_privilege(r.role, 'record_delivered_by(bigint, bigint)', 'EXECUTE') AS may
       FROM unnest(ARRAY['credit_etl_loader', 'credit_etl_procedure', 'credit_etl_officer', 'credit_etl_reader',
         'public']) AS r(role) ORDER BY 1`,
    );
    expect(Object.fromEntries(rows.map((row) => [row.role, row.may]))).toEqual({
      credit_etl_loader: true,
      credit_etl_officer: true,
      credit_etl_procedure: true,
      credit_etl_reader: true,
      public: false,
    });
    const { rows: config } = await fx.owner.raw<{ rows: { config: string[] }[] }>(
      `SELECT proconfig AS config FROM pg_proc WHERE oid = 'record_delivered_by(bigint, bigint)'::regprocedure`,
    );
    expect(config[0]!.config).toEqual([expect.stringMatching(/^search_path=\S+, pg_temp$/)]);
  });
});
