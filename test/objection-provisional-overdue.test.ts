import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestObjectionDue } from '../src/calendar/objection-due.ts';
import { latestDeadlineAfter, longestProvisionalDelay } from '../src/calendar/provisional-deadline.ts';
import { createCalendar } from '../src/calendar/working-days.ts';
import { holidaysWithout2026, shippedHolidays } from './support/holiday-files.ts';
import { basePenalties, edit, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVINCE = '11370000MB2852362M';

const shipped = () => createCalendar(shippedHolidays());
const without = (fromYear: number) => {
  const { years } = shippedHolidays();
  for (const year of Object.keys(years)) if (Number(year) >= fromYear) delete years[year];
  return createCalendar({ years });
};

/**
 * A provisional due date (counted Monday–Friday less the fixed-date holidays through a year without calendar data)
 * is surely past only when even the latest day it can turn out to be is: the provisional count plus the longest
 * delay the official calendar has ever put on such a count. Not the earliest possible day: received Wednesday
 * 2026-09-30, the provisional count says 10-07, every weekday counted says 10-05, and the real due date was
 * Saturday 10-10 (1–7 October off, the 10th worked): an earliest-day rule would have called it overdue on 10-08.
 */
describe('the latest day a provisional due date can be', () => {
  it('is the provisional count plus the longest delay in the holidays file: 10 days (2020, the epidemic)', () => {
    expect(longestProvisionalDelay(3, shipped())).toBe(10);
    expect(latestObjectionDue('2026-09-30', without(2026))).toEqual({ date: '2026-10-17', exact: false });
    // Counted exactly once the calendar has the year: the due date itself.
    expect(latestObjectionDue('2026-09-30', shipped())).toEqual({ date: '2026-10-10', exact: true });
  });

  it('measured on the years before, it held for every receipt day of 2021–2026 (the real due date never later)', () => {
    const full = shipped();
    for (let year = 2021; year <= 2026; year++) {
      const before = without(year);
      for (let time = Date.UTC(year, 0, 1); time < Date.UTC(year, 11, 20); time += 86_400_000) {
        const day = new Date(time).toISOString().slice(0, 10);
        expect(latestDeadlineAfter(day, 3, before).date >= full.addWorkingDays(day, 3), day).toBe(true);
      }
    }
  });
});

describe('a provisional objection due date surely past is overdue: check, list, the run', {
  timeout: 300_000,
}, () => {
  let fx: WarehouseFixture;
  let recordId: number;
  let objectionId: number;
  let without2026: string;
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(args, { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'), ...env });
  const json = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const result = await cli([...args, '--json'], env);
    return { code: result.code, stderr: result.stderr, value: JSON.parse(result.stdout) };
  };
  /** The calendar still lacking 2026: the due date stays provisional. */
  const missing = () => ({ CREDIT_ETL_HOLIDAYS_FILE: without2026 });

  beforeAll(async () => {
    fx = await openWarehouseFixture('objection_provisional_overdue');
    const [row] = basePenalties(1, 3901);
    await fx.ingest([writeRows(fx.scratch, 'p.csv', [edit(row!, { 处罚决定日期: '2026-01-02' })])], {
      receivedAt: new Date('2026-01-05T10:00:00+08:00'),
      provider: PROVINCE,
    });
    recordId = (await fx.warehouse('records').first('id')).id;
    without2026 = holidaysWithout2026(fx.scratch);
    const opened = await json(
      [
        'objection',
        'open',
        String(recordId),
        '--applicant',
        '济南示例有限公司',
        '--reason',
        '处罚有误',
        '--received-at',
        '2026-09-30',
        '--operator',
        '李科员',
      ],
      missing(),
    );
    expect(opened.code, opened.stderr).toBe(0);
    expect(opened.value).toMatchObject({ dueOn: '2026-10-07', dueProvisional: true });
    objectionId = opened.value.id;
  }, 120_000);
  afterAll(async () => fx?.close());

  it('on the latest day it can be, only past its provisional date: warned, not raised', async () => {
    const check = await json(['objection', 'check', '--as-of', '2026-10-17'], missing());
    expect(check.code, check.stderr).toBe(0);
    expect(check.value).toMatchObject({ status: 'completed', overdue: [] });
    expect(check.value.provisional.map((row: { id: number }) => row.id)).toEqual([objectionId]);
    const text = await cli(['objection', 'check', '--as-of', '2026-10-17'], missing());
    expect(text.stderr).toContain('最迟期限未到，未计为逾期');
    expect(text.stderr).toContain(`due 2026-10-07 暂定（最迟 2026-10-17）`);
    expect(
      (await json(['objection', 'list', '--overdue', '--as-of', '2026-10-17'], missing())).value,
    ).toEqual([]);
  });

  it('the day after: overdue, still marked provisional — the run fails, list --overdue and the state say so', async () => {
    const check = await json(['objection', 'check', '--as-of', '2026-10-18'], missing());
    expect(check.code).toBe(1);
    expect(check.value).toMatchObject({ status: 'failed', provisional: [] });
    expect(check.value.overdue.map((row: { id: number }) => row.id)).toEqual([objectionId]);
    const run = await fx
      .warehouse('runs')
      .where({ id: check.value.runId })
      .first('status', 'counts', 'error');
    expect(run).toMatchObject({
      status: 'failed',
      counts: { checking: 1, overdue: 1, overdueProvisional: 1, provisionalPastDue: 0 },
    });
    expect(run.error).toContain(
      `#${objectionId} record ${recordId} (xzcf), received 2026-09-30, due 2026-10-07 暂定（最迟 2026-10-17）`,
    );
    const text = await cli(['objection', 'check', '--as-of', '2026-10-18'], missing());
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      `✗ #${objectionId} record ${recordId} (xzcf), received 2026-09-30, due 2026-10-07 暂定`,
    );

    const overdue = await json(['objection', 'list', '--overdue', '--as-of', '2026-10-18'], missing());
    expect(overdue.value).toMatchObject([
      {
        id: objectionId,
        dueOn: '2026-10-07',
        dueProvisional: true,
        overdue: true,
        provisionalPastDue: false,
        dueLatest: { date: '2026-10-17', exact: false },
      },
    ]);
    const listed = await cli(['objection', 'list', '--as-of', '2026-10-18'], missing());
    expect(listed.stdout).toContain('2026-10-07（暂定）');
    expect(listed.stdout).toContain('异议处理中 · 已逾期（期限暂定，最迟 2026-10-17，已过）');
  });

  it('once the calendar has the year (before calendar recompute), the date it gives decides', async () => {
    // The shipped calendar has 2026: the due date is 2026-10-10 (a 调休 Saturday), not settled yet.
    const before = await json(['objection', 'check', '--as-of', '2026-10-10']);
    expect(before.code, before.stderr).toBe(0);
    expect(before.value.provisional.map((row: { id: number }) => row.id)).toEqual([objectionId]);
    const after = await json(['objection', 'check', '--as-of', '2026-10-12']);
    expect(after.code).toBe(1);
    expect(after.value.overdue.map((row: { id: number }) => row.id)).toEqual([objectionId]);
    const listed = await cli(['objection', 'list', '--as-of', '2026-10-12']);
    expect(listed.stdout).toContain(
      '已逾期（期限暂定，按现有日历为 2026-10-10，待 calendar recompute 确定，已过）',
    );
  });
});
