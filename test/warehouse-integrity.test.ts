import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelLevel } from '../src/catalog/catalog-entry.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
const channel = (level: ChannelLevel, provider: string) => ({ level, provider, receivedAt: RECEIVED });
const PROVINCE = channel('province', '113700000000000000');
const CITY = channel('city', '113701000000000000');

/** Every way a lineage, version or record row could point at nothing, counted set-based. */
const DANGLING = `
  SELECT
    (SELECT count(*) FROM record_sources s WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.id = s.record_id))::int
      AS sources_without_record,
    (SELECT count(*) FROM record_sources s WHERE s.version_id IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM record_versions v WHERE v.id = s.version_id AND v.record_id = s.record_id))::int
      AS sources_with_foreign_version,
    (SELECT count(*) FROM record_sources s WHERE NOT EXISTS (SELECT 1 FROM source_files f WHERE f.id = s.source_file_id)
       OR NOT EXISTS (SELECT 1 FROM runs u WHERE u.id = s.run_id))::int AS sources_without_file_or_run,
    (SELECT count(*) FROM record_versions v WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.id = v.record_id)
       OR NOT EXISTS (SELECT 1 FROM source_files f WHERE f.id = v.source_file_id))::int AS orphan_versions,
    (SELECT count(*) FROM records r WHERE NOT EXISTS (
       SELECT 1 FROM record_versions v WHERE v.id = r.current_version_id AND v.record_id = r.id))::int
      AS records_without_current,
    (SELECT count(*) FROM rejections j WHERE NOT EXISTS (SELECT 1 FROM source_files f WHERE f.id = j.source_file_id)
       OR NOT EXISTS (SELECT 1 FROM runs u WHERE u.id = j.run_id))::int AS orphan_rejections`;

describe('warehouse integrity without per-row foreign keys (007-bulk-integrity)', () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(6, 71);
  const row = (i: number) => rows[i] as PenaltyRow;
  let n = 0;
  const file = (list: PenaltyRow[]) => writeRows(fx.scratch, `delivery-${++n}.csv`, list);

  beforeAll(async () => {
    fx = await openWarehouseFixture('warehouse_integrity');
  });
  afterAll(async () => fx?.close());

  it('every outcome points at the records and versions it names', async () => {
    const clash = edit(row(1), { 处罚内容: '罚款人民币9万元' });
    const first = await fx.ingest([file([row(0), row(1), row(0), clash, row(2)])], PROVINCE);
    expect(first.counts).toMatchObject({ inserted: 3, unchanged: 1, rejected: 1 });
    const correction = edit(row(0), { 处罚内容: '罚款人民币3万元（更正）' });
    const second = await fx.ingest([file([correction, correction, row(2), row(3)])], PROVINCE);
    expect(second.counts).toMatchObject({ updated: 1, unchanged: 2, inserted: 1 });
    const city = await fx.ingest([file([edit(row(2), { 处罚内容: '警告（市级）' }), row(3)])], CITY);
    expect(city.counts).toMatchObject({ conflict: 1, merged: 1 });

    const [dangling] = (await fx.warehouse.raw(DANGLING)).rows;
    expect(dangling).toEqual({
      sources_without_record: 0,
      sources_with_foreign_version: 0,
      sources_without_file_or_run: 0,
      orphan_versions: 0,
      records_without_current: 0,
      orphan_rejections: 0,
    });
    // The in-file repeat of a corrected row points at the new version, like the correction itself.
    const lineage = await fx
      .warehouse('record_sources')
      .where({ run_id: second.runId })
      .orderBy('row_number')
      .select('row_number', 'outcome', 'version_id');
    expect(lineage.slice(0, 2).map((source) => source.outcome)).toEqual(['updated', 'unchanged']);
    expect(lineage[1].version_id).toBe(lineage[0].version_id);
    const conflict = await fx.warehouse('record_sources').where({ run_id: city.runId, outcome: 'conflict' });
    expect(conflict.map((source) => source.version_id)).toEqual([null]);
  });

  it.each(['records', 'source_files', 'runs', 'record_versions', 'record_sources', 'rejections'])(
    '%s refuses DELETE and TRUNCATE outside a legal procedure, even to the owner',
    async (table) => {
      // The engine (credit_etl_loader) has no such privilege; the owner has, and the trigger refuses it.
      await expect(fx.warehouse.raw(`DELETE FROM ${table}`)).rejects.toThrow(/permission denied/);
      await expect(fx.warehouse.raw(`TRUNCATE ${table} CASCADE`)).rejects.toThrow(/permission denied/);
      await expect(fx.owner.raw(`DELETE FROM ${table}`)).rejects.toThrow(/append-only/);
      await expect(fx.owner.raw(`TRUNCATE ${table} CASCADE`)).rejects.toThrow(/append-only/);
      expect(Number((await fx.warehouse(table).count({ n: '*' }))[0]?.n)).toBeGreaterThan(0);
    },
  );

  it('the catalog versions refuse TRUNCATE too', async () => {
    await expect(fx.owner.raw('TRUNCATE catalog_entries')).rejects.toThrow(/append-only/);
  });

  it('the session flag credit_etl.legal_procedure lifts nothing, even for the owner', async () => {
    const [rejection] = await fx.owner('rejections').select('id').limit(1);
    await expect(
      fx.owner.transaction(async (trx) => {
        await trx.raw(`SET LOCAL credit_etl.legal_procedure = 'on'`);
        await trx('rejections').where({ id: rejection.id }).delete();
      }),
    ).rejects.toThrow(/append-only/);
    expect(await fx.warehouse('rejections').where({ id: rejection.id })).toHaveLength(1);
  });

  it('a function owned by credit_etl_procedure passes the guard (privileges then decide)', async () => {
    const [rejection] = await fx.owner('rejections').select('id').limit(1);
    // The procedure role is never granted DELETE (procedures never delete): granted here, in this test's own
    // database only, so that what is shown is the trigger's rule alone.
    await fx.owner.raw(`
      GRANT DELETE ON rejections TO credit_etl_procedure;
      CREATE FUNCTION test_remove_rejection(target bigint) RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = public
        AS 'DELETE FROM rejections WHERE id = target';
      ALTER FUNCTION test_remove_rejection(bigint) OWNER TO credit_etl_procedure;`);
    try {
      await fx.owner.raw('SELECT test_remove_rejection(?)', [rejection.id]);
      expect(await fx.warehouse('rejections').where({ id: rejection.id })).toEqual([]);
    } finally {
      await fx.owner.raw(`
        DROP FUNCTION test_remove_rejection(bigint);
        REVOKE DELETE ON rejections FROM credit_etl_procedure;`);
    }
  });
});
