import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordHistory } from '../src/records/record-history.ts';
import {
  CITY,
  deliverMixedHistory,
  deliverWithdrawal,
  PROVINCE,
} from './support/mixed-redelivery-history.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

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
    await deliverMixedHistory(fx);
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

  it.each(['record_delivered_by(bigint, bigint)', 'record_delivered_unchanged(bigint, text, bigint)'])(
    '%s may be called by every warehouse role, with its search path pinned',
    async (signature) => {
      const { rows } = await fx.owner.raw<{ rows: { role: string; may: boolean }[] }>(
        `SELECT r.role, has_function_privilege(r.role, ?, 'EXECUTE') AS may
       FROM unnest(ARRAY['credit_etl_loader', 'credit_etl_procedure', 'credit_etl_officer', 'credit_etl_reader',
         'public']) AS r(role) ORDER BY 1`,
        [signature],
      );
      expect(Object.fromEntries(rows.map((row) => [row.role, row.may]))).toEqual({
        credit_etl_loader: true,
        credit_etl_officer: true,
        credit_etl_procedure: true,
        credit_etl_reader: true,
        public: false,
      });
      const { rows: config } = await fx.owner.raw<{ rows: { config: string[] }[] }>(
        'SELECT proconfig AS config FROM pg_proc WHERE oid = ?::regprocedure',
        [signature],
      );
      expect(config[0]!.config).toEqual([expect.stringMatching(/^search_path=\S+, pg_temp$/)]);
    },
  );
});

/*
 * A record's history (the `record` command, the console's record page, the subject archive) lists the files
 * that re-delivered it compactly: the files that delivered it by delivered_records (017) without a lineage row
 * of it. The same mixed history, then a withdrawal (p8) and a dump re-delivering the withdrawn row (p9).
 */
describe('a record history’s compacted re-deliveries against delivered_records', () => {
  let fx: WarehouseFixture;

  beforeAll(async () => {
    fx = await openWarehouseFixture('history_compacted');
    await deliverMixedHistory(fx);
    await deliverWithdrawal(fx);
  }, 240_000);
  afterAll(async () => fx?.close());

  it('lists, per record, exactly the files delivered_records counts beyond its lineage rows', async () => {
    const { rows: expected } = await fx.warehouse.raw<{ rows: { record: number; files: string[] }[] }>(
      `SELECT r.id::int AS record,
         COALESCE(array_agg(f.level || ' ' || f.name ORDER BY (f.level || ' ' || f.name) COLLATE "C")
           FILTER (WHERE f.id IS NOT NULL), '{}') AS files
       FROM records r
       LEFT JOIN source_files f ON f.status = 'loaded' AND r.id IN (SELECT delivered_records(f.id))
         AND NOT EXISTS (SELECT 1 FROM record_sources s WHERE s.source_file_id = f.id AND s.record_id = r.id)
       GROUP BY r.id ORDER BY r.id`,
    );
    const actual = [];
    for (const { record } of expected) {
      const history = (await recordHistory(fx.warehouse, record))!;
      // The history lists them per channel; compared as a set.
      const files = history.unchanged.map((delivery) => `${delivery.level} ${delivery.fileName}`).sort();
      actual.push({ record, files });
    }
    expect(actual).toEqual(expected);

    // Every way a run ends is in there, so the agreement says something.
    const { rows: kinds } = await fx.warehouse.raw<{ rows: { kind: string; n: number }[] }>(
      `SELECT 'absence' AS kind, count(*)::int AS n FROM unchanged_delivery_absences
       UNION ALL SELECT s.outcome, count(*)::int FROM record_sources s
         WHERE s.outcome IN ('conflict', 'withdrawn') GROUP BY s.outcome
       UNION ALL SELECT 'unsummarized', count(*)::int FROM source_files f WHERE f.status = 'loaded'
         AND NOT EXISTS (SELECT 1 FROM unchanged_deliveries u WHERE u.source_file_id = f.id)
       ORDER BY 1`,
    );
    expect(Object.fromEntries(kinds.map((kind) => [kind.kind, kind.n]))).toMatchObject({
      absence: 1,
      conflict: expect.any(Number),
      withdrawn: expect.any(Number),
      unsummarized: expect.any(Number),
    });
    const counts = Object.fromEntries(actual.map(({ record, files }) => [record, files.length]));
    expect(Object.values(counts).some((n) => n === 0)).toBe(false);
  }, 120_000);

  /*
   * record_delivered_unchanged (048) answers for one record, one provider and every file after a given one what
   * record_delivered_by (045) answers per file, and delivered_records (017) per whole file: the files that delivered
   * the record by their unchanged run, without a lineage row of it. The notices ask it once a row instead of once a
   * later file. Every record, both providers, and every file as the "after" bound (0 too) of the mixed history, a
   * withdrawal and a re-delivery of the withdrawn row included.
   */
  it('record_delivered_unchanged lists exactly the later files of a provider that delivered the record without a lineage row', async () => {
    const { rows } = await fx.warehouse.raw<{
      rows: {
        record: number;
        provider: string;
        after: number;
        by_set: string;
        by_call: string;
        by_file: string;
      }[];
    }>(
      `WITH cases AS (
         SELECT r.id AS record, p.provider, a.after FROM records r
         CROSS JOIN (VALUES (?), (?)) AS p(provider)
         CROSS JOIN (SELECT 0 AS after UNION SELECT id FROM source_files) a),
       later AS (
         SELECT c.record, c.provider, c.after, f.id AS file FROM cases c
         JOIN source_files f ON f.provider_code = c.provider AND f.id > c.after
         WHERE NOT EXISTS (SELECT 1 FROM record_sources s WHERE s.source_file_id = f.id AND s.record_id = c.record))
       SELECT c.record::int, c.provider, c.after::int,
         (SELECT COALESCE(string_agg(d::text, ',' ORDER BY d), '')
           FROM record_delivered_unchanged(c.record, c.provider, c.after) d) AS by_set,
         (SELECT COALESCE(string_agg(l.file::text, ',' ORDER BY l.file), '') FROM later l
           WHERE (l.record, l.provider, l.after) = (c.record, c.provider, c.after)
             AND record_delivered_by(l.file, l.record)) AS by_call,
         (SELECT COALESCE(string_agg(l.file::text, ',' ORDER BY l.file), '') FROM later l
           WHERE (l.record, l.provider, l.after) = (c.record, c.provider, c.after)
             AND l.record IN (SELECT delivered_records(l.file))) AS by_file
       FROM cases c ORDER BY 1, 2, 3`,
      [PROVINCE.provider, CITY.provider],
    );
    expect(rows.length).toBe(30 * 2 * 13);
    expect(rows.filter((row) => row.by_set !== row.by_call || row.by_set !== row.by_file)).toEqual([]);
    // Every kind of answer is there, so the agreement says something: records never delivered unchanged by a
    // provider, a record's whole year of summaries, and runs cut short by an absence, a small file or a withdrawal.
    const lengths = new Set(rows.map((row) => (row.by_set === '' ? 0 : row.by_set.split(',').length)));
    expect([...lengths].sort((a, b) => a - b)).toEqual(expect.arrayContaining([0, 1, 2, 3, 4]));
    expect(rows.filter((row) => row.provider === CITY.provider && row.by_set !== '').length).toBeGreaterThan(
      0,
    );
  }, 120_000);
});
