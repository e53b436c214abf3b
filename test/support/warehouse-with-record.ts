import { expect } from 'vitest';
import { type PenaltyRow, writeRows } from './penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './warehouse-fixture.ts';

/** A fresh warehouse holding one record: `row`, delivered as `<scratch>/p.csv` (expects it inserted), and its id. */
export async function openWarehouseWithRecord(
  label: string,
  row: PenaltyRow,
): Promise<{ fx: WarehouseFixture; recordId: number }> {
  const fx = await openWarehouseFixture(label);
  const summary = await fx.ingest([writeRows(fx.scratch, 'p.csv', [row])]);
  expect(summary.counts.inserted).toBe(1);
  const [recordId] = (await fx.warehouse('records').pluck('id')) as number[];
  return { fx, recordId: recordId! };
}
