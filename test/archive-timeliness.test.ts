import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SourceUnit } from '../connectors/contracts.ts';
import { PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import { createLogger } from '../src/log/logger.ts';
import { ingestUnits } from '../src/run/ingest-files.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const at = (date: string) => new Date(`${date}T16:00:00+08:00`);

/**
 * Art. 10 through the ingest path: 7 working days after the decision date, counted on the 2026 official
 * calendar. Spring Festival: 02-15…02-23 off, Saturdays 02-14 and 02-28 worked. National Day: 10-01…10-07
 * off, Sunday 09-20 and Saturday 10-10 worked.
 */
describe('timeliness flag and working days stored per delivered row', () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(6, 10);
  const decided = (i: number, date: string) => edit(rows[i] as PenaltyRow, { 处罚决定日期: date });
  const lineage = async (runId: number) =>
    fx
      .warehouse('record_sources')
      .where({ run_id: runId })
      .orderBy('row_number')
      .select('row_number', 'late', 'working_days', 'received_at');

  beforeAll(async () => {
    fx = await openWarehouseFixture('timeliness');
  });
  afterAll(async () => fx?.close());

  it('across the Spring Festival: 7 working days on 02-26 is on time, 8 on 02-27 is late', async () => {
    // 02-10 (Tue) → 11, 12, 13, 14 (Sat, worked), [15–23 off], 24, 25, 26 = 7; 27 = 8.
    const onTime = await fx.ingest([writeRows(fx.scratch, 'spring-a.csv', [decided(0, '2026-02-10')])], {
      receivedAt: at('2026-02-26'),
    });
    const late = await fx.ingest([writeRows(fx.scratch, 'spring-b.csv', [decided(1, '2026/2/10')])], {
      receivedAt: at('2026-02-27'),
    });
    expect(onTime.counts).toMatchObject({ inserted: 1, late: 0 });
    expect(late.counts).toMatchObject({ inserted: 1, late: 1 });
    expect(await lineage(onTime.runId)).toMatchObject([{ late: false, working_days: 7 }]);
    expect(await lineage(late.runId)).toMatchObject([{ late: true, working_days: 8 }]);
  });

  it('across National Day: 10-13 is on time, 10-14 is late, 09-20 worked and the Mid-Autumn Festival off', async () => {
    // 09-28 (Mon) → 29, 30, [10-01–07 off], 08, 09, 10 (Sat, worked), 12, 13 = 7; 14 = 8.
    const run = await fx.ingest(
      [writeRows(fx.scratch, 'national-a.csv', [decided(2, '2026-09-28'), decided(3, '2026-09-18')])],
      { receivedAt: at('2026-10-13') },
    );
    const late = await fx.ingest([writeRows(fx.scratch, 'national-b.csv', [decided(4, '2026-09-28')])], {
      receivedAt: at('2026-10-14'),
    });
    // 09-18 (Fri) → 20 (Sun, worked), 21–24, [25 Mid-Autumn], 28, 29, 30, 08, 09, 10, 12, 13 = 13.
    expect(await lineage(run.runId)).toMatchObject([
      { row_number: 2, late: false, working_days: 7 },
      { row_number: 3, late: true, working_days: 13 },
    ]);
    expect(await lineage(late.runId)).toMatchObject([{ late: true, working_days: 8 }]);
    expect(run.counts.late).toBe(1);
  });

  it('stores the received time given for the unit on every row', async () => {
    const rowsOfRun = await fx.warehouse('record_sources').where({ late: true }).select('received_at');
    expect(rowsOfRun.length).toBeGreaterThan(0);
    expect(rowsOfRun.every((row) => row.received_at instanceof Date)).toBe(true);
  });

  it('a unit received in 2027 (no calendar data yet) loads with its timeliness pending, never guessed', async () => {
    // 12-28: its 8th working day falls in 2027, unknown. 11-20: its 8th is 12-02, so late whatever 2027 holds.
    const rows = [decided(4, '2026-12-28'), decided(5, '2026-11-20')];
    // Today is the day of receipt: a decision date may not lie in the future (x-notFuture).
    vi.useFakeTimers({ toFake: ['Date'], now: at('2027-01-05') });
    const summary = await fx
      .ingest([writeRows(fx.scratch, 'next-year.csv', rows)], { receivedAt: at('2027-01-05') })
      .finally(() => vi.useRealTimers());
    expect(summary.status).toBe('completed');
    expect(summary.counts).toMatchObject({ read: 2, rejected: 0, late: 1, pending: 1 });
    expect(await lineage(summary.runId)).toMatchObject([
      { late: null, working_days: null },
      { late: true, working_days: null },
    ]);
  });

  it('a table row stamped in 2027 is pending the same way, even when the unit itself is dated 2026', async () => {
    const cells = PENALTY_HEADER.map((header) => decided(3, '2026-12-29')[header] ?? '');
    const unit: SourceUnit = {
      name: 'xzcf_exchange@batch-1',
      receivedAt: at('2026-12-31'),
      rows: async () => ({
        header: [...PENALTY_HEADER],
        encoding: 'utf8',
        stats: () => ({ blankLines: 0 }),
        batches: (async function* () {
          yield [{ rowNumber: 2, cells, receivedAt: at('2027-01-04') }];
        })(),
      }),
    };
    const logger = createLogger({ logFile: path.join(fx.scratch, 'rows.log'), console: false });
    vi.useFakeTimers({ toFake: ['Date'], now: at('2027-01-04') });
    const summary = await ingestUnits(
      fx.warehouse,
      fx.catalog,
      {
        units: [unit],
        catalog: 'xzcf',
        providerCode: '113700000000000000',
        level: 'province',
        encoding: 'auto',
      },
      logger,
    ).finally(() => vi.useRealTimers());
    expect(summary.counts).toMatchObject({ read: 1, pending: 1 });
    expect(await lineage(summary.runId)).toMatchObject([{ late: null, working_days: null }]);
  });
});
