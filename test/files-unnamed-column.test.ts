import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import { basePenalties, edit, writeRows } from './support/penalty-variants.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');

describe('a column without a header (a spacer column, or a value typed beside the table)', () => {
  let fx: WarehouseFixture;

  beforeAll(async () => {
    fx = await openWarehouseFixture('unnamed_column');
  });
  afterAll(async () => fx?.close());

  it('loads rows that leave it empty and rejects a row with a value there, naming the column and the value', async () => {
    // A blank header cell between 违法事实 and 处罚依据 (column 17), and a trailing one (column 32).
    const columns = [...PENALTY_HEADER.slice(0, 16), '', ...PENALTY_HEADER.slice(16), ''];
    const [first, second, third] = basePenalties(3, 81);
    const file = writeRows(
      fx.scratch,
      'spacer.csv',
      [first!, edit(second!, { '': '已整改' }), third!],
      columns,
    );
    const summary = await fx.ingest([file], { receivedAt: RECEIVED });
    expect(summary.counts).toMatchObject({ read: 3, inserted: 2, rejected: 1 });
    // The value sits in both blank columns of row 3: each is named.
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual([
      [3, 'column_17', 'value-without-header'],
      [3, 'column_32', 'value-without-header'],
    ]);
    const [rejection] = await fx.warehouse('rejections').where({ run_id: summary.runId });
    expect(rejection.errors[0]).toMatchObject({ value: '已整改' });
    expect(rejection.errors[0].message).toContain('第17列没有表头');
    expect(rejection.raw).toMatchObject({ column_17: '已整改', column_32: '已整改' });
  });
});
