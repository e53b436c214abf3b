import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import { basePenalties, writeRows } from './support/penalty-variants.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');

describe('the header repeated inside a file (two exports pasted one under the other)', () => {
  let fx: WarehouseFixture;

  beforeAll(async () => {
    fx = await openWarehouseFixture('repeated_header');
  });
  afterAll(async () => fx?.close());

  it('rejects the repeated header row with one error naming its row, and loads the rows around it', async () => {
    const [first, second] = basePenalties(2, 91);
    const headerAgain = Object.fromEntries(PENALTY_HEADER.map((name) => [name, ` ${name}`]));
    const file = writeRows(fx.scratch, 'pasted.csv', [first!, headerAgain, second!]);
    const summary = await fx.ingest([file], { receivedAt: RECEIVED });
    expect(summary.counts).toMatchObject({ read: 3, inserted: 2, rejected: 1 });
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual([[3, '*', 'repeated-header']]);
    const [rejection] = await fx.warehouse('rejections').where({ run_id: summary.runId });
    expect(rejection.errors[0].message).toMatch(/^第3行与表头相同/);
  });

  it('still names each field of a row that only partly repeats the header', async () => {
    const [first] = basePenalties(1, 95);
    const half = Object.fromEntries(
      PENALTY_HEADER.map((name, i) => [name, i < 5 ? name : (first![name] ?? '')]),
    );
    const file = writeRows(fx.scratch, 'half.csv', [half]);
    const summary = await fx.ingest([file], { receivedAt: RECEIVED });
    expect(summary.counts).toMatchObject({ read: 1, rejected: 1 });
    const codes = (await flatRejections(fx.warehouse, summary.runId)).map(([, , code]) => code);
    expect(codes).not.toContain('repeated-header');
    expect(codes.length).toBeGreaterThan(0);
  });
});
