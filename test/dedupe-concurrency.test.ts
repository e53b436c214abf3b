import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basePenalties, currentState, edit, lineageSet, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');

/**
 * Two units of the same catalog entry merging at once: the per-entry advisory lock serializes the merges,
 * so neither sees a half-merged state, no key is inserted twice, and the end state is the one a sequential
 * load gives, whichever unit wins the lock.
 */
describe('two units of one catalog entry merging at the same time', () => {
  let concurrent: WarehouseFixture;
  let sequential: WarehouseFixture;
  const rows = basePenalties(400, 9);
  // The province has rows 0–299; the city rows 100–399, with rows 100–149 differing.
  const province = rows.slice(0, 300);
  const city = rows
    .slice(100, 400)
    .map((row, i) => (i < 50 ? edit(row, { 处罚内容: `${row.处罚内容}（市级）` }) : row));

  beforeAll(async () => {
    [concurrent, sequential] = await Promise.all([
      openWarehouseFixture('concurrent_merge'),
      openWarehouseFixture('sequential_merge'),
    ]);
  });
  afterAll(async () => Promise.all([concurrent?.close(), sequential?.close()]));

  it('both runs complete and every row has exactly one outcome', async () => {
    const files = (fx: WarehouseFixture) => ({
      p: writeRows(fx.scratch, 'province.csv', province),
      c: writeRows(fx.scratch, 'city.csv', city),
    });
    const a = files(concurrent);
    const runs = await Promise.all([
      concurrent.ingest([a.p], { level: 'province', provider: '113700000000000000', receivedAt: RECEIVED }),
      concurrent.ingest([a.c], { level: 'city', provider: '113701000000000000', receivedAt: RECEIVED }),
    ]);
    for (const run of runs) expect(run.status).toBe('completed');
    const [p, c] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect(p.counts.inserted + c.counts.inserted).toBe(400);
    expect(p.counts.merged + c.counts.merged).toBe(150);
    // Whichever merged second owns the 50 disputed rows: a city conflict or a province update.
    expect(p.counts.updated + c.counts.conflict).toBe(50);
    const b = files(sequential);
    await sequential.ingest([b.p], {
      level: 'province',
      provider: '113700000000000000',
      receivedAt: RECEIVED,
    });
    await sequential.ingest([b.c], { level: 'city', provider: '113701000000000000', receivedAt: RECEIVED });
  });

  it('ends in the state of a sequential load: province content wins, same lineage', async () => {
    const state = (records: Awaited<ReturnType<typeof currentState>>) =>
      records.map(({ key, level, hash }) => ({ key, level, hash }));
    const got = await currentState(concurrent.warehouse);
    expect(got).toHaveLength(400);
    expect(state(got)).toEqual(state(await currentState(sequential.warehouse)));
    expect(await lineageSet(concurrent.warehouse)).toEqual(await lineageSet(sequential.warehouse));
    const disputed = got.filter((record) => String(record.data.CF_NR).endsWith('（市级）'));
    expect(disputed).toEqual([]);
  });
});
