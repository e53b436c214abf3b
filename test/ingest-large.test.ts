import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePenaltyCsv } from './support/generated-file.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

describe('a generated 10,000-row penalty file with 2% bad rows', () => {
  let fx: WarehouseFixture;
  let generated: ReturnType<typeof writePenaltyCsv>;

  beforeAll(async () => {
    fx = await openWarehouseFixture('large');
    generated = writePenaltyCsv(fx.scratch, 'penalties-10k.csv', 10_000, {
      badShare: 0.02,
      encoding: 'gb18030',
    });
  });
  afterAll(async () => fx?.close());

  it('loads with counts that add up and every bad row rejected for its known reason', async () => {
    const summary = await fx.ingest([generated.file]);
    const rejected = generated.expected.length;
    expect(rejected).toBeGreaterThan(150);
    expect(summary.counts).toMatchObject({
      read: 10_000,
      inserted: 10_000 - rejected,
      rejected,
      updated: 0,
      conflict: 0,
    });
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual(
      generated.expected.map((expected) => [expected.row, expected.field, expected.code]),
    );
  });

  it('the same rows re-delivered in another file (UTF-8 this time) are all unchanged', async () => {
    // A byte-identical copy would be skipped by the sha256 ledger (test/ingest-ledger.test.ts).
    const again = writePenaltyCsv(fx.scratch, 'penalties-10k-again.csv', 10_000, { badShare: 0.02 });
    expect(again.rows).toEqual(generated.rows);
    const summary = await fx.ingest([again.file]);
    expect(summary.counts).toMatchObject({
      read: 10_000,
      inserted: 0,
      updated: 0,
      unchanged: 10_000 - generated.expected.length,
      rejected: generated.expected.length,
    });
  });

  it('takes a corrected resubmission as new versions, keeping the old ones readable', async () => {
    const corrected = writePenaltyCsv(fx.scratch, 'penalties-10k-v2.csv', 10_000, {
      badShare: 0.02,
      version: 2,
    });
    const summary = await fx.ingest([corrected.file]);
    const valid = 10_000 - corrected.expected.length;
    expect(summary.counts).toMatchObject({ inserted: 0, updated: valid, unchanged: 0 });
    const [history] = await fx
      .warehouse('record_versions')
      .select(fx.warehouse.raw('max(version_no)::int AS latest'));
    expect(history.latest).toBe(2);
  });
});
