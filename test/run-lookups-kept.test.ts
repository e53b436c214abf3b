import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basePenalties, writeRows } from './support/penalty-variants.ts';
import { fixturePath, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const LOOKUPS = JSON.parse(readFileSync(fixturePath('xzcf', 'legacy-2016-utf8', 'expected.json'), 'utf8'))
  .lookups as { authorityCodes: Record<string, string> };

const APPEND_ONLY = /run_lookups is append-only/;
const WITH_THE_RUN = /run_lookups: run \d+ was not recorded by this transaction/;

/**
 * 047-run-lookups: the lookup tables a run was loaded with are kept with it, written by the transaction that
 * records the run and never changed after, for the engine's login (`fx.warehouse`: SET ROLE credit_etl_loader)
 * and the owner alike.
 */
describe("a run's lookups are kept with it, as loaded", () => {
  let fx: WarehouseFixture;
  let runId: number;

  beforeAll(async () => {
    fx = await openWarehouseFixture('run_lookups_kept');
    const loaded = await fx.ingest([writeRows(fx.scratch, 'rows.csv', basePenalties(2, 4701))], {
      lookups: LOOKUPS,
    });
    runId = loaded.runId;
    await fx.ingest([writeRows(fx.scratch, 'without.csv', basePenalties(2, 4702))]);
  });
  afterAll(async () => fx?.close());

  it('keeps the tables of a run loaded with them, hashed by the database; nothing for a run without', async () => {
    const kept = await fx.warehouse('run_lookups').select('run_id', 'tables', 'sha256');
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ run_id: runId, tables: LOOKUPS });
    const { rows } = await fx.warehouse.raw('SELECT tables::text AS text FROM run_lookups');
    expect(kept[0].sha256).toBe(createHash('sha256').update(rows[0].text, 'utf8').digest('hex'));
  });

  it('refuses to change or remove them: UPDATE, DELETE, TRUNCATE, the loader and the owner', async () => {
    // The loader has INSERT only (no grant to change); the owner, who bypasses grants, meets the triggers.
    for (const [who, refused] of [
      [fx.warehouse, /permission denied for table run_lookups/],
      [fx.owner, APPEND_ONLY],
    ] as const) {
      await expect(
        who('run_lookups')
          .where({ run_id: runId })
          .update({
            tables: JSON.stringify({ authorityCodes: { 济南市市场监督管理局: '11370100MB28174284' } }),
          }),
      ).rejects.toThrow(refused);
      await expect(who('run_lookups').where({ run_id: runId }).delete()).rejects.toThrow(refused);
    }
    await expect(fx.warehouse.raw('TRUNCATE run_lookups')).rejects.toThrow(/permission denied/);
    await expect(fx.owner.raw('TRUNCATE run_lookups')).rejects.toThrow(APPEND_ONLY);
    expect(await fx.owner('run_lookups').count('* as n').first()).toEqual({ n: 1 });
  });

  it('refuses tables for a run recorded by another transaction (an older run re-keyed, its notices with it)', async () => {
    const without = await fx.warehouse('runs').whereNot({ id: runId }).orderBy('id', 'desc').first('id');
    for (const who of [fx.warehouse, fx.owner])
      await expect(
        who('run_lookups').insert({ run_id: without.id, tables: JSON.stringify(LOOKUPS) }),
      ).rejects.toThrow(WITH_THE_RUN);
    // A run recorded earlier in this transaction, as ingest-files.ts records one: taken, the hash the database's.
    const undo = new Error('rolled back: the run and its tables were only tried');
    await expect(
      fx.warehouse.transaction(async (trx) => {
        const [run] = await trx('runs').insert({ kind: 'ingest' }).returning('id');
        const [row] = await trx('run_lookups')
          .insert({ run_id: run.id, sha256: 'forged', tables: JSON.stringify(LOOKUPS) })
          .returning('sha256');
        expect(row.sha256).toMatch(/^[0-9a-f]{64}$/);
        throw undo;
      }),
    ).rejects.toBe(undo);
  });

  it('refuses tables of another shape than the loader reads (table -> text -> text)', async () => {
    for (const tables of [
      { authorityCodes: 5 },
      { authorityCodes: { 济南市市场监督管理局: { deep: [1] } } },
      [],
    ]) {
      const undo = new Error('rolled back');
      await expect(
        fx.warehouse.transaction(async (trx) => {
          const [run] = await trx('runs').insert({ kind: 'ingest' }).returning('id');
          await trx('run_lookups').insert({ run_id: run.id, tables: JSON.stringify(tables) });
          throw undo;
        }),
      ).rejects.toThrow(/run_lookups_tables_check/);
    }
  });
});
