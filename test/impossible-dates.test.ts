import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { unitsForFile } from '../connectors/transports/archive-units.ts';
import { writePenaltyWorkbook } from '../fixtures/generate/penalty-workbook.ts';
import { ingestDelivery } from './support/ingest-delivery.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
const DECISION_DATE = 22;

/** Impossible calendar dates are refused wherever they come in, never rolled over (issue 13, item 6). */
describe('impossible dates', () => {
  let fx: WarehouseFixture;
  const cli = (...args: string[]) =>
    runCli(args, { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') });

  beforeAll(async () => {
    fx = await openWarehouseFixture('impossible_dates');
  });
  afterAll(async () => fx?.close());

  it('in cells: each row is rejected naming the field, the row and the value as sent', async () => {
    const rows = basePenalties(6, 31);
    const decided = (i: number, date: string) => edit(rows[i] as PenaltyRow, { 处罚决定日期: date });
    const file = writeRows(fx.scratch, 'dates.csv', [
      decided(0, '2026-02-30'),
      decided(1, '2025-02-29'),
      decided(2, '2026-13-01'),
      decided(3, '2026-03-05 24:61'),
      decided(4, '2024-02-29'),
      decided(5, '2026-03-05 23:59'),
    ]);
    const summary = await fx.ingest([file], { receivedAt: RECEIVED });
    expect(summary.counts).toMatchObject({ read: 6, inserted: 2, rejected: 4 });
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual([
      [2, 'CF_JDRQ', 'invalid-date'],
      [3, 'CF_JDRQ', 'invalid-date'],
      [4, 'CF_JDRQ', 'invalid-date'],
      [5, 'CF_JDRQ', 'invalid-date'],
    ]);
    const values = await fx
      .warehouse('rejections')
      .where({ run_id: summary.runId })
      .orderBy('row_number')
      .select(fx.warehouse.raw(`errors -> 0 ->> 'value' AS value`));
    expect(values.map((row: { value: string }) => row.value)).toEqual([
      '2026-02-30',
      '2025-02-29',
      '2026-13-01',
      '2026-03-05 24:61',
    ]);
  });

  it('in an Excel serial: 60 is 1900-02-29, a day that never was, and is rejected', async () => {
    const file = path.join(fx.scratch, 'serial.xlsx');
    await writePenaltyWorkbook(file, 2, {
      seed: 32,
      edit: (cells) => {
        (cells[0] as unknown[])[DECISION_DATE] = 60;
      },
    });
    const summary = await ingestDelivery(fx, await unitsForFile(file, RECEIVED));
    // Row 3: the title row and the header come first.
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual([[3, 'CF_JDRQ', 'invalid-date']]);
  });

  it.each([
    [
      [
        'ingest',
        'x.csv',
        '--catalog',
        'xzcf',
        '--provider',
        '11370000MB2852362M',
        '--level',
        'province',
        '--received-at',
        '2026-02-30',
      ],
      '--received-at 2026-02-30 is not a real date or time (2026-02 has 28 days)',
    ],
    [
      [
        'ingest',
        'x.csv',
        '--catalog',
        'xzcf',
        '--provider',
        '11370000MB2852362M',
        '--level',
        'province',
        '--received-at',
        '2026-11-20T24:61',
      ],
      '(24:61:00 is not a time of day)',
    ],
    [
      ['backfill', 'any', '--from', '2025-02-29', '--to', '2025-03-01'],
      '--from 2025-02-29 is not a real date',
    ],
    [['runs', 'list', '--since', '2026-13-01'], '--since 2026-13-01 is not a real date or time (month 13'],
    [
      ['report', 'quality', '--from', '2026-11-01', '--to', '2026-11-31', '--out', 'q.html'],
      '--to 2026-11-31 is not a real date (2026-11 has 30 days)',
    ],
    [
      [
        'report',
        'notice',
        '--provider',
        '11370000MB2852362M',
        '--from',
        '2026-02-29',
        '--to',
        '2026-03-01',
        '--out',
        'n.xlsx',
      ],
      '--from 2026-02-29 is not a real date',
    ],
    [
      [
        'report',
        'rejections',
        '--provider',
        '11370000MB2852362M',
        '--from',
        '2026-02-01',
        '--to',
        '2026-02-30',
        '--out',
        'r.csv',
      ],
      '--to 2026-02-30 is not a real date',
    ],
  ])('in options: %j is a usage error (exit 2) and nothing runs', async (args, message) => {
    const runsBefore = await fx.warehouse('runs').count({ n: '*' });
    const result = await cli(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(await fx.warehouse('runs').count({ n: '*' })).toEqual(runsBefore);
  });

  it('in options: --received-at on a day not yet come is refused (exit 2) naming it, and nothing is loaded', async () => {
    // Timeliness (Art. 10) is judged from the receipt: a day that has not come is no receipt, as for objections.
    const today = todayInShanghai();
    const tomorrow = new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const file = writeRows(fx.scratch, 'received-later.csv', basePenalties(2, 34));
    const ingest = (receivedAt: string) =>
      cli(
        ...['ingest', file, '--catalog', 'xzcf', '--provider', '11370000MB2852362M', '--level', 'province'],
        ...['--received-at', receivedAt],
      );
    const loaded = async () =>
      Promise.all(
        ['runs', 'source_files', 'record_sources'].map(async (table) =>
          fx.warehouse(table).count({ n: '*' }),
        ),
      );
    const before = await loaded();
    // 20:00 UTC today is 04:00 tomorrow in Asia/Shanghai.
    for (const [receivedAt, day] of [
      [tomorrow, tomorrow],
      [`${tomorrow}T09:30`, tomorrow],
      [`${today}T20:00Z`, tomorrow],
    ] as const) {
      const result = await ingest(receivedAt);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(
        `--received-at ${receivedAt}：文件接收日期 ${day} 晚于今天 ${today}（Asia/Shanghai）`,
      );
      expect(await loaded()).toEqual(before);
    }
    // Today is a day already come.
    const accepted = await ingest(today);
    expect(accepted.code, accepted.stderr).toBe(0);
    const [source] = await fx
      .warehouse('source_files')
      .where({ name: 'received-later.csv' })
      .select('received_at');
    expect(source?.received_at).toEqual(new Date(`${today}T00:00:00+08:00`));
  });
});
