import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendVerificationNotice } from '../src/objections/verification.ts';
import {
  appendObjectionStep,
  asOfficer,
  insertObjection,
} from '../src/warehouse/objection-log-repository.ts';
import { objectionRows } from '../src/warehouse/objections-repository.ts';
import { holidaysWithout2026, shippedHolidays } from './support/holiday-files.ts';
import { basePenalties, edit, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVINCE = '11370000MB2852362M';

interface Finding {
  recordId: number;
  problem: string;
  detail: string;
}

/**
 * `verify` recomputes the deadlines of every objection still awaiting the platform's check: the due date registered
 * with it (3 working days from receipt, Art. 18) and its verification notice's answer deadline. The database cannot
 * count working days and stores what its caller hands it; a holiday file corrected since changes what the dates
 * should be. A difference is `objection-due-differs` (exit 4); a provisional due date the calendar now counts
 * exactly is no defect, only not settled: a warning naming the date and `calendar recompute`.
 */
describe('verify: open objections’ due dates and notice deadlines against the calendar', {
  timeout: 300_000,
}, () => {
  let fx: WarehouseFixture;
  let records: number[];
  let without2026: string;
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(args, { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'), ...env });
  const verify = async (env: NodeJS.ProcessEnv = {}) => {
    const result = await cli(['verify', '--json'], env);
    const summary = JSON.parse(result.stdout) as {
      status: string;
      counts: { objectionDues?: { dues: number; notices: number; unsettled: number } };
      records: Finding[];
    };
    return { ...result, summary };
  };
  const open = async (recordId: number, receivedOn: string, env: NodeJS.ProcessEnv = {}) => {
    const args = [
      'objection',
      'open',
      String(recordId),
      '--applicant',
      '济南示例有限公司',
      '--reason',
      '处罚有误',
    ];
    const opened = await cli([...args, '--received-at', receivedOn, '--operator', '李科员', '--json'], env);
    expect(opened.code, opened.stderr).toBe(0);
    return JSON.parse(opened.stdout) as { id: number; dueOn: string; dueProvisional: boolean };
  };
  const registered = (recordId: number, receivedOn: string, dueOn: string, dueProvisional = false) =>
    asOfficer(fx.warehouse, (trx) =>
      insertObjection(trx, {
        recordId,
        applicant: '济南示例有限公司',
        reason: '处罚有误',
        receivedOn,
        dueOn,
        dueProvisional,
        channel: 'platform',
        operator: '张科员',
      }),
    );
  const about = (findings: Finding[], objectionId: number) =>
    findings.filter((finding) => finding.detail.startsWith(`objection ${objectionId},`));

  beforeAll(async () => {
    fx = await openWarehouseFixture('verify_objection_dues');
    const rows = basePenalties(5, 4101).map((row) => edit(row, { 处罚决定日期: '2026-01-02' }));
    await fx.ingest([writeRows(fx.scratch, 'p.csv', rows)], {
      receivedAt: new Date('2026-01-05T10:00:00+08:00'),
      provider: PROVINCE,
    });
    records = (await fx.warehouse('records').orderBy('id').pluck('id')).map(Number);
    expect(records).toHaveLength(5);
    without2026 = holidaysWithout2026(fx.scratch);
  }, 120_000);
  afterAll(async () => fx?.close());

  let exact: number;

  it('an objection registered by the engine and its notice: recomputed, clean', async () => {
    // Received Monday 2026-11-02: due Thursday 11-05; a notice sent that day with 2 working days: answer by 11-04.
    const opened = await open(records[0]!, '2026-11-02');
    exact = opened.id;
    expect(opened).toMatchObject({ dueOn: '2026-11-05', dueProvisional: false });
    const [row] = await objectionRows(fx.warehouse, { id: exact });
    const notice = await sendVerificationNotice(fx.warehouse, row!, {
      operator: '李科员',
      issuedOn: '2026-11-02',
    });
    expect(notice.deadline).toBe('2026-11-04');
    const result = await verify();
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.summary.counts.objectionDues).toEqual({ dues: 1, notices: 1, unsettled: 0 });
  });

  it('a provisional due date: held to the provisional rule; once the calendar counts it, a warning to settle it', async () => {
    const opened = await open(records[1]!, '2026-09-30', { CREDIT_ETL_HOLIDAYS_FILE: without2026 });
    expect(opened).toMatchObject({ dueOn: '2026-10-07', dueProvisional: true });
    // Verified with the calendar it was counted with (still lacking 2026): its date is the rule's. (Everything else
    // counted through 2026 differs then: lineage timeliness, the exact due date above.)
    const still = await verify({ CREDIT_ETL_HOLIDAYS_FILE: without2026 });
    expect(about(still.summary.records, opened.id)).toEqual([]);
    expect(still.summary.counts.objectionDues).toMatchObject({ dues: 2, unsettled: 0 });
    expect(still.stderr).not.toContain('objection-due-unsettled');
    // The shipped calendar has 2026: the date is 2026-10-10 now, `calendar recompute` not run. Not a finding.
    const now = await verify();
    expect(now.code, now.stdout + now.stderr).toBe(0);
    expect(now.summary.counts.objectionDues).toMatchObject({ dues: 2, unsettled: 1 });
    expect(now.stderr).toContain('objection-due-unsettled');
    expect(now.stderr).toContain(
      '暂定核查期限按现有工作日日历已可确定，尚未重算：请运行 credit-etl calendar recompute',
    );
    expect(now.stderr).toContain(
      `objection ${opened.id} on record ${records[1]}, received 2026-09-30, due 2026-10-07 暂定 → 2026-10-10`,
    );
  });

  it('the holiday file corrected since: the due date and the notice deadline it changes are named', async () => {
    const years = shippedHolidays();
    years.years['2026']!.holidays.push('2026-11-04');
    const corrected = path.join(fx.scratch, 'holidays-corrected.json');
    writeFileSync(corrected, JSON.stringify(years));
    const result = await verify({ CREDIT_ETL_HOLIDAYS_FILE: corrected });
    expect(result.code).toBe(4);
    const named = about(result.summary.records, exact);
    expect(named.map((finding) => finding.problem)).toEqual([
      'objection-due-differs',
      'objection-due-differs',
    ]);
    expect(named[0]).toMatchObject({ recordId: records[0] });
    expect(named[0]?.detail).toContain('due date 2026-11-05 (3 working days),');
    expect(named[0]?.detail).toContain('gives 2026-11-06');
    expect(named[1]?.detail).toMatch(
      /verification notice \(step \d+\): answer deadline 2026-11-04 \(2 working days after 2026-11-02\), .* gives 2026-11-05/,
    );
  });

  it('a due date or notice deadline written wrongly (the database stores its caller’s) is named; exit 4', async () => {
    const wrong = await registered(records[2]!, '2026-11-02', '2026-11-09');
    const provisional = await registered(records[3]!, '2026-09-30', '2026-10-09', true);
    const noticed = await registered(records[4]!, '2026-11-02', '2026-11-05');
    await asOfficer(fx.warehouse, (trx) =>
      appendObjectionStep(trx, noticed, {
        action: 'note',
        note: '异议核实通知已发送',
        operator: '张科员',
        detail: {
          verification: 'sent',
          providerCode: PROVINCE,
          issuedOn: '2026-11-02',
          workingDays: 2,
          deadline: '2026-11-10',
          provisional: false,
        },
      }),
    );
    const result = await verify();
    expect(result.code).toBe(4);
    expect(result.summary.status).toBe('failed');
    const findings = result.summary.records;
    expect(about(findings, exact)).toEqual([]);
    expect(about(findings, wrong)).toEqual([
      expect.objectContaining({ recordId: records[2], problem: 'objection-due-differs' }),
    ]);
    expect(about(findings, wrong)[0]?.detail).toContain('due date 2026-11-09 (3 working days),');
    expect(about(findings, wrong)[0]?.detail).toContain('gives 2026-11-05');
    expect(about(findings, provisional)[0]?.detail).toContain(
      'provisional due date 2026-10-09, but the provisional rule (Monday–Friday less 1 January, 1–2 May, 1–3 October in a year without data) gives 2026-10-07',
    );
    expect(about(findings, provisional)[0]?.detail).toContain('and the calendar now gives 2026-10-10');
    expect(about(findings, noticed).map((finding) => finding.detail)).toEqual([
      expect.stringMatching(
        /verification notice \(step \d+\): answer deadline 2026-11-10 .* gives 2026-11-04:/,
      ),
    ]);
    // Only the five objections' findings: the valid provisional one is warned of, never a finding.
    expect(findings.every((finding) => finding.problem === 'objection-due-differs')).toBe(true);
    expect(findings).toHaveLength(3);
  });
});
