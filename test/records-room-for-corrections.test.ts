import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basePenalties, edit, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/** A record's place in the table: a heap-only update keeps it on its page (and out of every index). */
interface Placed {
  id: string;
  block: string;
}

describe('records keep room for corrections (028)', () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(400, 28);

  beforeAll(async () => {
    fx = await openWarehouseFixture('records_room');
  });
  afterAll(async () => {
    await fx?.close();
  });

  const placed = async () => {
    const { rows: found } = await fx.owner.raw<{ rows: Placed[] }>(
      `SELECT id, (ctid::text::point)[0]::bigint AS block FROM records ORDER BY id`,
    );
    return found;
  };

  it('updates a corrected record on its own page: no index takes a new entry', async () => {
    const first = await fx.ingest([writeRows(fx.scratch, 'first.csv', rows)]);
    expect(first.counts).toMatchObject({ inserted: 400 });
    const before = await placed();
    const blocks = new Set(before.map((record) => record.block));
    // Several full pages, so that a record with no room beside it would have to move.
    expect(blocks.size).toBeGreaterThan(4);
    // Every tenth row corrected: records on every page.
    const corrected = rows.map((row, i) =>
      i % 10 === 0 ? edit(row, { 处罚内容: `${row.处罚内容}（更正）` }) : row,
    );
    const second = await fx.ingest([writeRows(fx.scratch, 'corrected.csv', corrected)]);
    expect(second.counts).toMatchObject({ updated: 40, unchanged: 360 });
    const after = await placed();
    const moved = after.filter((record, i) => record.block !== before[i]?.block);
    expect([after.length, moved]).toEqual([400, []]);
  });
});
