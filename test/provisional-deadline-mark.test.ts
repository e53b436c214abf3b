import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotice } from '../src/report/notices.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVINCE = '11370000MB2852362M';

/**
 * A notice deadline counted through a year without calendar data (config/holidays.json ends in 2026) is marked
 * `（暂定）` in `notice list`, `notice show` and `report notices`, as the console marks it and `objection list` marks
 * a due date: the tables are read beside Chinese values (`已逾期`, `open 待更正`), not `(provisional)`. `--json`
 * keeps its boolean.
 */
describe('a provisional notice deadline in the CLI', () => {
  let fx: WarehouseFixture;
  let noticeId: number;
  const cli = (...args: string[]) =>
    runCli(args, { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') });

  beforeAll(async () => {
    fx = await openWarehouseFixture('provisional_mark');
    // One row rejected (a day that never was): something to notify.
    const [good, bad] = basePenalties(2, 41) as [PenaltyRow, PenaltyRow];
    const file = writeRows(fx.scratch, 'rows.csv', [good, edit(bad, { 处罚决定日期: '2026-02-30' })]);
    const summary = await fx.ingest([file], {
      receivedAt: new Date('2026-11-20T10:00:00+08:00'),
      provider: PROVINCE,
    });
    const notice = await createNotice(fx.warehouse, fx.catalog, {
      providerCode: PROVINCE,
      scope: { kind: 'run', runId: summary.runId },
      issuedOn: '2026-12-24',
    });
    // Mon–Fri less 1 January: 12-25, 28, 29, 30, 31, 01-04, 01-05.
    expect(notice).toMatchObject({ deadline: '2027-01-05', provisional: true });
    noticeId = notice.id;
  });
  afterAll(async () => fx?.close());

  it.each([[['notice', 'list']], [['notice', 'show', '<id>']], [['report', 'notices']]])(
    '%j marks the deadline （暂定）',
    async (args) => {
      const result = await cli(...args.map((arg) => (arg === '<id>' ? String(noticeId) : arg)));
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('2027-01-05（暂定）');
      expect(result.stdout).not.toContain('provisional');
    },
  );

  it('--json keeps `provisional` a boolean', async () => {
    const listed = await cli('notice', 'list', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ id: noticeId, deadline: '2027-01-05', provisional: true }),
    ]);
  });
});
