import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CITY,
  deliverMixedHistory,
  deliverWithdrawal,
  PROVINCE,
} from './support/mixed-redelivery-history.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/*
 * record_delivered_unchanged (048) answers for one record, one provider and every file after a given one what
 * record_delivered_by (045) answers per file, and delivered_records (017) per whole file: the files that delivered
 * the record by their unchanged run, without a lineage row of it. The notices ask it once a row instead of once a
 * later file. Every record, both providers, and every file as the "after" bound (0 too) of the mixed history, a
 * withdrawal and a re-delivery of the withdrawn row included.
 */
describe('record_delivered_unchanged against record_delivered_by and delivered_records', () => {
  let fx: WarehouseFixture;

  beforeAll(async () => {
    fx = await openWarehouseFixture('record_delivered_unchanged');
    await deliverMixedHistory(fx);
    await deliverWithdrawal(fx);
  }, 240_000);
  afterAll(async () => fx?.close());

  it('lists exactly the later files of the provider that delivered the record without a lineage row', async () => {
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

  it('may be called by every warehouse role, with its search path pinned', async () => {
    const signature = 'record_delivered_unchanged(bigint, text, bigint)';
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
  });
});
