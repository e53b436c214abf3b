import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNotice } from '../src/report/notices.ts';
import { withRecomputeTransaction } from '../src/warehouse/calendar-recomputes-repository.ts';
import { lineageTimelinessPages } from '../src/warehouse/timeliness-integrity-repository.ts';
import { holidaysWithMadeUp2027, holidaysWithout2026 } from './support/holiday-files.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVINCE = '11370000MB2852362M';
interface Finding {
  recordId: number | null;
  problem: string;
  detail: string;
}

/**
 * Art. 10 timeliness (`late`, `working_days`) of settled lineage rows and settled working-day dates (notice
 * deadlines, objection due dates) are recomputed by verify with the calendar: the database guards (034, 038) only
 * see that a settlement was logged, not what it wrote.
 */
describe('verify: settled timeliness and deadlines recomputed with the holiday calendar', {
  timeout: 300_000,
}, () => {
  let fx: WarehouseFixture;
  let holidays: string;
  let novemberRun: number;
  let januaryRun: number;
  let settledNotice: number;
  const rows = basePenalties(7, 4211);
  const formed = (i: number, date: string) => edit(rows[i] as PenaltyRow, { 处罚决定日期: date });
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(args, { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'), ...env });
  const verify = async (
    args: string[] = [],
    env: NodeJS.ProcessEnv = { CREDIT_ETL_HOLIDAYS_FILE: holidays },
  ) => {
    const result = await cli(['verify', '--json', ...args], env);
    const summary = JSON.parse(result.stdout) as { records: Finding[] };
    return { code: result.code, stderr: result.stderr, findings: summary.records };
  };
  const lineage = (runId: number) =>
    fx
      .warehouse('record_sources')
      .where({ run_id: runId })
      .orderBy('row_number')
      .select('id', 'row_number', 'late', 'working_days', 'source_file_id');
  const asSuperuser = (sql: string, params: unknown[] = []) =>
    fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica'); // triggers off: behind the engine's back
      await trx.raw(sql, params as never);
    });

  /** An objection received Friday 2026-11-20, registered while the calendar lacked 2026: its due date provisional. */
  const openProvisionalObjection = async (nth: number) => {
    const file = holidaysWithout2026(fx.scratch);
    const record = await fx.warehouse('records').orderBy('id').offset(nth).first('id');
    const opened = await cli(
      [
        'objection',
        'open',
        String(record.id),
        '--applicant',
        '济南示例有限公司',
        '--reason',
        '处罚有误',
        '--received-at',
        '2026-11-20',
        '--operator',
        '李科员',
        '--json',
      ],
      { CREDIT_ETL_HOLIDAYS_FILE: file },
    );
    expect(opened.code, opened.stderr).toBe(0);
    const objection = await fx.warehouse('objections').where({ record_id: record.id }).first();
    expect(objection).toMatchObject({ due_provisional: true });
    return Number(objection.id);
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('verify_timeliness');
    holidays = holidaysWithMadeUp2027(fx.scratch);
    // Friday 2026-11-20: on time (2 working days), late (a month), formed before the calendar starts (late, no count).
    const november = await fx.ingest(
      [
        writeRows(fx.scratch, 'november.csv', [
          formed(0, '2026-11-18'),
          formed(1, '2026-10-09'),
          formed(2, '2003-05-06'),
          // Rejected: a notice needs a row to name.
          formed(5, '2026-02-30'),
        ]),
      ],
      { receivedAt: new Date('2026-11-20T10:00:00+08:00'), provider: PROVINCE },
    );
    novemberRun = november.runId;
    expect(november.counts).toMatchObject({ inserted: 3, late: 2 });
    // Received in 2027, a year config/holidays.json lacks: pending, settled by `calendar recompute` below.
    const receivedAt = new Date('2027-01-04T10:00:00+08:00');
    vi.useFakeTimers({ toFake: ['Date'], now: receivedAt });
    const january = await fx
      .ingest(
        [
          writeRows(fx.scratch, 'january.csv', [
            formed(3, '2026-12-24'),
            formed(4, '2026-12-22'),
            formed(6, '2026-02-30'),
          ]),
        ],
        {
          receivedAt,
          provider: PROVINCE,
        },
      )
      .finally(() => vi.useRealTimers());
    januaryRun = january.runId;
    expect(january.counts).toMatchObject({ inserted: 2, pending: 2 });
    const settled = await createNotice(fx.warehouse, fx.catalog, {
      providerCode: PROVINCE,
      scope: { kind: 'run', runId: novemberRun },
      issuedOn: '2026-11-20',
    });
    expect(settled.provisional).toBe(false);
    settledNotice = settled.id;
    const provisional = await createNotice(fx.warehouse, fx.catalog, {
      providerCode: PROVINCE,
      scope: { kind: 'run', runId: januaryRun },
      issuedOn: '2026-12-24',
    });
    expect(provisional.provisional).toBe(true);
    await openProvisionalObjection(0);
  });
  afterAll(async () => fx?.close());

  it('is clean while rows are pending and after `calendar recompute` settles them', async () => {
    const before = await verify();
    expect(before.code, before.stderr).toBe(0);
    expect(before.findings).toEqual([]);
    const recompute = await cli(['calendar', 'recompute', '--json'], { CREDIT_ETL_HOLIDAYS_FILE: holidays });
    expect(recompute.code, recompute.stderr).toBe(0);
    expect(JSON.parse(recompute.stdout)).toMatchObject({
      timeliness: { decided: 2, late: 1, stillPending: 0 },
      deadlines: { decided: 1 },
      objectionDues: { decided: 1, moved: 0 },
    });
    expect((await lineage(januaryRun)).map((row) => [row.late, row.working_days])).toEqual([
      [false, 6],
      [true, 8],
    ]);
    const after = await verify();
    expect(after.code, after.stderr).toBe(0);
    expect(after.findings).toEqual([]);
  });

  it('names what the calendar no longer gives when config/holidays.json lost the year it was settled with', async () => {
    // The default calendar ends in 2026: the rows and the notice settled with 2027 cannot be counted again.
    const found = await verify([], {});
    expect(found.code).toBe(4);
    expect(found.findings.map((finding) => finding.problem)).toEqual([
      'timeliness-differs',
      'timeliness-differs',
      'timeliness-differs',
    ]);
    expect(found.findings[0]!.detail).toMatch(
      /^file \d+ \(january\.csv\) row 2 \(formed 2026-12-24, received 2027-01-04\): stored on time \(6 working days\), .*holidays\.json \(version [^)]+\) gives pending \(a year it needs is not in the calendar\): either it was settled wrongly \(written behind the engine\) or config\/holidays\.json changed after it was counted$/,
    );
  });

  it('reads settled lineage a page at a time: pages of one row give every row once, in order', async () => {
    const ids = async (pageSize: number) => {
      const all: number[] = [];
      for await (const page of lineageTimelinessPages(fx.warehouse, {}, {}, pageSize))
        all.push(...page.map((row) => row.id));
      return all;
    };
    const whole = await ids(5_000);
    expect(whole.length).toBeGreaterThan(2);
    expect(await ids(1)).toEqual(whole);
  });

  it('names a lineage row whose late flag or working days were rewritten, and a rewritten notice deadline (exit 4)', async () => {
    const [, late] = await lineage(novemberRun);
    const [, settledLate] = await lineage(januaryRun);
    expect(late).toMatchObject({ row_number: 3, late: true });
    await asSuperuser('UPDATE record_sources SET late = false WHERE id = ?', [late.id]);
    await asSuperuser('UPDATE record_sources SET working_days = 7, late = false WHERE id = ?', [
      settledLate.id,
    ]);
    await asSuperuser(`UPDATE notices SET deadline = deadline + 1 WHERE id = ?`, [settledNotice]);
    // A provisional objection due date settled wrongly through the guards: a logged recompute (038 asks no more)
    // that writes Tuesday 2026-11-24 where the 3rd working day after Friday 2026-11-20 is Wednesday 2026-11-25.
    const wronglySettled = await openProvisionalObjection(1);
    await withRecomputeTransaction(fx.warehouse, async (recompute) => {
      const [provisional] = await recompute.provisionalObjections();
      expect(provisional).toMatchObject({ id: wronglySettled, due_on: '2026-11-25' });
      const recomputeId = await recompute.logRecompute({
        ran_by: 'test@host',
        calendar_file: holidays,
        calendar_version: 'forged',
        calendar_years: '2004–2027',
        timeliness_decided: 0,
        timeliness_late: 0,
        timeliness_still_pending: 0,
        deadlines_decided: 0,
        deadlines_moved: 0,
        deadlines_still_provisional: 0,
        objection_dues_decided: 1,
        objection_dues_moved: 1,
        objection_dues_still_provisional: 0,
      });
      await recompute.settleObjectionDue(wronglySettled, {
        dueOn: '2026-11-24',
        recomputeId,
        operator: 'test',
        basis: `calendar recompute ${recomputeId}`,
        note: '暂定核查期限 2026-11-25 按工作日日历重算为 2026-11-24',
      });
    });
    const found = await verify();
    expect(found.code, found.stderr).toBe(4);
    const details = found.findings
      .filter((finding) => finding.problem === 'timeliness-differs')
      .map((finding) => `${finding.problem}: ${finding.detail}`);
    expect(details).toHaveLength(4);
    expect(details[3]).toMatch(
      /^timeliness-differs: objection \d+, received 2026-11-20: due date 2026-11-24 as settled by objection log step \d+, .* gives 2026-11-25: either/,
    );
    expect(found.findings.map((finding) => finding.problem)).toEqual(details.map(() => 'timeliness-differs'));
    // The lineage findings name their records (and the run counts them); scoped to another catalog, none.
    expect(found.findings.slice(0, 2).every((finding) => finding.recordId !== null)).toBe(true);
    const other = await verify(['--catalog', 'xzxk']);
    expect([other.code, other.findings]).toEqual([0, []]);
    // --since tomorrow: nothing written or settled since.
    const tomorrow = new Date(Date.now() + 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10);
    const since = await verify(['--since', tomorrow]);
    expect([since.code, since.findings]).toEqual([0, []]);
  });
});
