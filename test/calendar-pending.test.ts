import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readHolidaysFile } from '../src/calendar/holidays-file.ts';
import { summaryText } from '../src/cli/format-summary.ts';
import { noticeStates } from '../src/report/notice-status.ts';
import { writeNoticeXlsx } from '../src/report/notice-workbook.ts';
import { createNotice } from '../src/report/notices.ts';
import { loadProviders } from '../src/report/providers.ts';
import { holidaysWithMadeUp2027, shippedHolidays } from './support/holiday-files.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVINCE = '11370000MB2852362M';
/**
 * Data never stops for a missing holiday year (issue 13, item 7). config/holidays.json ends in 2026; a
 * delivery received on Monday 2027-01-04 loads with its timeliness pending, a notice deadline crossing into 2027
 * is provisional, and once a (made-up) 2027 with 1–3 and 5 January off is added, `calendar recompute` settles both.
 */
describe('a year without calendar data', () => {
  let fx: WarehouseFixture;
  let runId: number;
  let noticeId: number;
  const rows = basePenalties(4, 27);
  const formed = (i: number, date: string) => edit(rows[i] as PenaltyRow, { 处罚决定日期: date });
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(args, { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'), ...env });
  const lineage = async () =>
    fx
      .warehouse('record_sources')
      .where({ run_id: runId })
      .orderBy('row_number')
      .select('row_number', 'late', 'working_days', 'pending_formation_date');

  beforeAll(async () => {
    fx = await openWarehouseFixture('calendar_pending');
  });
  afterAll(async () => fx?.close());

  it('a delivery received 2027-01-04 loads, its timeliness pending, with a warning', async () => {
    const file = writeRows(fx.scratch, 'january.csv', [
      formed(0, '2026-12-24'),
      formed(1, '2026-12-22'),
      formed(2, '2026-02-30'),
      // Its 8th working day is 2026-12-22: late, whatever January 2027 holds; only its count waits.
      formed(3, '2026-12-10'),
    ]);
    // Today is the day of receipt: the decision dates must not lie in the future (x-notFuture).
    const receivedAt = new Date('2027-01-04T10:00:00+08:00');
    vi.useFakeTimers({ toFake: ['Date'], now: receivedAt });
    const summary = await fx
      .ingest([file], { receivedAt, provider: PROVINCE })
      .finally(() => vi.useRealTimers());
    runId = summary.runId;
    expect(summary.status).toBe('completed');
    expect(summary.counts).toMatchObject({ read: 4, inserted: 3, rejected: 1, late: 1, pending: 2 });
    expect(await lineage()).toEqual([
      { row_number: 2, late: null, working_days: null, pending_formation_date: '2026-12-24' },
      { row_number: 3, late: null, working_days: null, pending_formation_date: '2026-12-22' },
      { row_number: 5, late: true, working_days: null, pending_formation_date: null },
    ]);
    const warning = 'timeliness pending for 2 row(s): the holiday calendar';
    expect(summaryText(summary)).toContain(`⚠ ${warning}`);
    const logged = readFileSync(path.join(fx.scratch, 'test.log'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(logged).toContainEqual(
      expect.objectContaining({ level: 'warn', code: 'timeliness-pending', runId: summary.runId }),
    );
    expect(logged.find((line) => line.code === 'timeliness-pending').message).toContain(warning);
  });

  it('lineage stays append-only: only a pending flag can be settled, only by the recompute', async () => {
    await expect(
      fx.warehouse('record_sources').where({ run_id: runId }).update({ late: true }),
    ).rejects.toThrow(/append-only/);
    // The loader may not write provider_code at all; the owner may, and the trigger still refuses it.
    for (const [session, refusal] of [
      [fx.warehouse, /permission denied/],
      [fx.owner, /append-only/],
    ] as const) {
      await expect(
        session.transaction(async (trx) => {
          await trx.raw(`SET LOCAL credit_etl.timeliness_recompute = 'on'`);
          await trx('record_sources').where({ run_id: runId }).update({ late: true, provider_code: 'X' });
        }),
      ).rejects.toThrow(refusal);
    }
    // Saying it is a recompute is not enough: a recompute commits with its calendar_recomputes row (034).
    for (const session of [fx.warehouse, fx.owner]) {
      await expect(
        session.transaction(async (trx) => {
          await trx.raw(`SET LOCAL credit_etl.timeliness_recompute = 'on'`);
          await trx('record_sources')
            .where({ run_id: runId })
            .whereNull('late')
            .update({ late: false, working_days: 1 });
        }),
      ).rejects.toThrow(/outside a logged calendar recompute/);
    }
    expect((await lineage()).map((row) => row.late)).toEqual([null, null, true]);
  });

  it('a notice deadline crossing into 2027 is provisional, and labelled so', async () => {
    const notice = await createNotice(fx.warehouse, fx.catalog, {
      providerCode: PROVINCE,
      scope: { kind: 'run', runId },
      issuedOn: '2026-12-24',
    });
    noticeId = notice.id;
    // Mon–Fri less the fixed-date holidays: 12-25, 28, 29, 30, 31, [01-01 元旦 off], 01-04, 01-05.
    expect(notice).toMatchObject({ rows: 1, deadline: '2027-01-05', provisional: true });
    const out = path.join(fx.scratch, 'notice.xlsx');
    await writeNoticeXlsx(fx.warehouse, fx.catalog, await loadProviders(), notice.id, out);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    const letter: string[] = [];
    workbook.worksheets[0]!.eachRow((row) => {
      row.eachCell((cell) => {
        letter.push(cell.text);
      });
    });
    expect(letter.join('\n')).toContain(
      '2027-01-05（7 个工作日内，不含发出当日；暂定：所跨年份的节假日安排尚未录入',
    );
  });

  it('`calendar recompute` with 2027 added (CREDIT_ETL_HOLIDAYS_FILE) settles both, and logs what it changed', async () => {
    // 5 January off too (made up), for a deadline the notice's own days move.
    const holidays = holidaysWithMadeUp2027(fx.scratch);
    const result = await cli(['calendar', 'recompute', '--json'], { CREDIT_ETL_HOLIDAYS_FILE: holidays });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      calendar: { file: holidays, version: readHolidaysFile(holidays).version, from: 2004, to: 2027 },
      timeliness: { decided: 2, late: 1, stillPending: 0 },
      deadlines: {
        decided: 1,
        moved: 1,
        stillProvisional: 0,
        changes: [{ noticeId, from: '2027-01-05', to: '2027-01-06' }],
      },
    });
    // 12-24 → 25, 28, 29, 30, 31, [01-01…03 off], 01-04 = 6; 12-22 → 23, 24, … = 8.
    expect(await lineage()).toMatchObject([
      { row_number: 2, late: false, working_days: 6 },
      { row_number: 3, late: true, working_days: 8 },
      // Settled late at the load: the recompute leaves it, and verify does not call it altered.
      { row_number: 5, late: true, working_days: null },
    ]);
    const [state] = await noticeStates(fx.warehouse, { noticeId });
    expect(state).toMatchObject({ deadline: '2027-01-06', provisional: false });
    const log = await fx.warehouse('calendar_recomputes').orderBy('id');
    expect(log).toMatchObject([
      {
        id: report.id,
        calendar_file: holidays,
        calendar_version: readHolidaysFile(holidays).version,
        calendar_years: '2004–2027',
        timeliness_decided: 2,
        timeliness_late: 1,
        deadlines_decided: 1,
        deadlines_moved: 1,
      },
    ]);
    expect(log[0].ran_by).toMatch(/.@./);

    const verify = await cli(['verify', '--json'], { CREDIT_ETL_HOLIDAYS_FILE: holidays });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    const again = await cli(['calendar', 'recompute', '--json'], { CREDIT_ETL_HOLIDAYS_FILE: holidays });
    expect(JSON.parse(again.stdout)).toMatchObject({
      timeliness: { decided: 0, stillPending: 0 },
      deadlines: { decided: 0, stillProvisional: 0 },
    });
  });

  it('a malformed holidays file stops every command with exit 2 before it does anything', async () => {
    const bad = path.join(fx.scratch, 'holidays-bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        years: {
          ...shippedHolidays().years,
          '2027': { source: 'typo', holidays: ['2027-02-30'], workdays: [] },
        },
      }),
    );
    const runsBefore = await fx.warehouse('runs').count({ n: '*' });
    const file = writeRows(fx.scratch, 'while-broken.csv', [formed(0, '2026-12-24')]);
    for (const args of [
      ['ingest', file, '--catalog', 'xzcf', '--provider', PROVINCE, '--level', 'province'],
      ['calendar', 'check'],
      ['pipelines', 'list'],
    ]) {
      const result = await cli(args, { CREDIT_ETL_HOLIDAYS_FILE: bad });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain(
        `${bad}: years.2027.holidays[0]: "2027-02-30" is not a real date in 2027`,
      );
    }
    expect(await fx.warehouse('runs').count({ n: '*' })).toEqual(runsBefore);
  });

  it('`calendar check` and `calendar show` list the years covered', async () => {
    const check = await cli(['calendar', 'check']);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('config/holidays.json');
    expect(check.stdout).toContain('valid, covers 2004–2026');
    const show = await cli(['calendar', 'show', '--year', '2026']);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('2026-10-01');
    const missing = await cli(['calendar', 'show', '--year', '2027']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('the calendar covers 2004–2026');
    const typo = await cli(['calendar', 'show', '--year', '20x6']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('--year 20x6: a year is four digits (2026)');
  });
});
