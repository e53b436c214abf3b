import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { objectionDue } from '../src/calendar/objection-due.ts';
import { deadlineAfter } from '../src/calendar/provisional-deadline.ts';
import { verificationStates } from '../src/objections/verification.ts';
import { VERIFICATION_PROVISIONAL_NOTE } from '../src/objections/verification-status.ts';
import {
  appendObjectionStep,
  asOfficer,
  insertObjection,
  objectionSteps,
} from '../src/warehouse/objection-log-repository.ts';
import { naturalPersonCells } from './support/natural-person.ts';
import { basePenalties, edit, writeRows } from './support/penalty-variants.ts';
import { type CliResult, runCli } from './support/run-cli.ts';
import { sheetValues } from './support/sheet-values.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVINCE = '11370000MB2852362M'; // 山东省 in config/providers.json
const CITY = '11370100MB28174284'; // 济南市
const PERSON_ID = '371102197906124048';

/*
 * Issue #16: the provider is asked to verify (核实) a disputed record by an objection verification notice, whose
 * status (sent, overdue, answered) lives in the objection's append-only log; and the record's mark (异议处理中)
 * travels into the review notice's rows until the objection ends. Through the real CLI on real PostgreSQL.
 */
describe('the objection verification notice (异议核实通知) and the mark in notices', () => {
  let fx: WarehouseFixture;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]): Promise<CliResult> => runCli(args, env);
  const [legal, person, third] = basePenalties(3);
  const personRow = edit(person!, naturalPersonCells('张某', PERSON_ID));

  /** Opens an objection as an officer would (`objection open` is the objections' own command). */
  const open = (recordId: number, receivedOn: string, reason: string) =>
    asOfficer(fx.warehouse, (trx) =>
      insertObjection(trx, {
        recordId,
        applicant: recordId === 2 ? '张某' : '济南示例商贸有限公司第0分公司',
        reason,
        receivedOn,
        dueOn: objectionDue(receivedOn).date,
        channel: 'platform',
        operator: 'test officer',
      }),
    );
  const close = (objectionId: number) =>
    asOfficer(fx.warehouse, (trx) =>
      appendObjectionStep(trx, objectionId, {
        action: 'close',
        result: 'rejected',
        basis: '鲁信异复〔2026〕1号',
        operator: 'test officer',
      }),
    );
  const statusOf = async (objectionId: number) =>
    (await verificationStates(fx.warehouse, [objectionId])).get(objectionId)?.status;

  beforeAll(async () => {
    fx = await openWarehouseFixture('objection_verification');
    env = { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'credit-etl.log') };
    const province = await fx.ingest([writeRows(fx.scratch, 'province.csv', [legal!, personRow, third!])], {
      provider: PROVINCE,
    });
    expect(province.counts.inserted).toBe(3);
    // The city delivers record 1 with other content: a conflict, which a review notice to the city lists.
    const city = await fx.ingest(
      [writeRows(fx.scratch, 'city.csv', [edit(legal!, { 处罚内容: '罚款人民币2万元' })])],
      { provider: CITY, level: 'city' },
    );
    expect(city.counts.conflict).toBe(1);
  }, 120_000);
  afterAll(async () => fx?.close());

  it('writes the notice: the record as the provider delivered it, the claim, the deadline, what to answer', async () => {
    const today = todayInShanghai();
    const id = await open(2, today, `申请人称证件号码${PERSON_ID}的处罚记录不属于本人`);
    const out = path.join(fx.scratch, 'verification.xlsx');
    const result = await cli('objection', 'notify', String(id), '--out', out);
    expect(result.code).toBe(0);
    // Counted Mon–Fri, and said so, once the 2 working days reach a year config/holidays.json does not have yet
    // (from late December until that year's holidays are added): today is the real one.
    const { date: deadline, provisional } = deadlineAfter(today, 2);
    const note = provisional ? VERIFICATION_PROVISIONAL_NOTE : undefined;
    expect(result.stdout).toContain(`answer by ${deadline} (2 working days${note ? `; ${note.en}` : ''})`);
    expect(result.stdout).toContain('sent 待核实答复');

    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['异议核实通知', '报送内容', '核实答复']);
    const letter = lines(workbook.worksheets[0]!);
    expect(letter.get('报送单位')).toBe(`山东省（省级统一推送）（${PROVINCE}）`);
    expect(letter.get('异议记录')).toBe(
      '记录 2，业务主键 11370200000200029A|济市监罚〔2026〕2号|—|3711**********4048',
    );
    expect(letter.get('异议内容')).toBe('申请人称证件号码3711**********4048的处罚记录不属于本人');
    expect(letter.get('异议申请人')).toBe('张某');
    expect(letter.get('平台核查期限')).toBe(`${objectionDue(today).date}（收到异议申请之日起 3 个工作日内）`);
    expect(letter.get('核实答复期限')).toBe(
      `${deadline}（2 个工作日内，不含发出当日${note ? `；${note.zh}` : ''}）`,
    );
    expect(letter.get('当前状态')).toBe('待核实答复');
    expect(letter.get('（二）更正')).toContain('重新报送');
    const fields = rows(workbook.worksheets[1]!);
    expect(fields[0]).toEqual(['字段', '字段代码', '业务主键', '报送内容']);
    const byCode = new Map(fields.slice(1).map((row) => [row[1], row]));
    expect(byCode.get('CF_XDR_ZJHM')).toEqual(['证件号码', 'CF_XDR_ZJHM', '是', '3711**********4048']);
    expect(byCode.get('CF_WSH')?.[3]).toBe('济市监罚〔2026〕2号');
    expect(byCode.get('CF_XDR_MC')?.[3]).toBe('张某');
    expect(JSON.stringify(fields)).not.toContain(PERSON_ID);
    expect(lines(workbook.worksheets[2]!).get('答复单位（盖章）')).toBe('山东省（省级统一推送）');
  }, 300_000);

  it('records nothing when the workbook cannot be written: no step, no unmask log, no file; a retry then issues it once', async () => {
    const id = await open(3, todayInShanghai(), '处罚决定书文号有误');
    const blocker = path.join(fx.scratch, 'afile');
    writeFileSync(blocker, 'a plain file, not a folder');
    const unmaskViews = async () =>
      Number((await fx.owner('unmask_views').count<{ count: string }[]>('* as count'))[0]!.count);
    const viewsBefore = await unmaskViews();
    const notify = (out: string) =>
      cli('objection', 'notify', String(id), '--unmasked', '--reason', '核实异议记录', '--out', out);

    const blocked = await notify(path.join(blocker, 'n.xlsx'));
    expect(blocked.code, blocked.stderr).toBe(1);
    expect((await objectionSteps(fx.warehouse, id)).map((step) => step.action)).toEqual(['open']);
    expect(await statusOf(id)).toBe('not-sent');
    expect(await unmaskViews()).toBe(viewsBefore);
    expect(blocked.stderr).toContain(
      `objection ${id}: no verification notice was issued, nothing was recorded`,
    );
    expect(blocked.stderr).toContain(`cannot write ${path.join(blocker, 'n.xlsx')}`);
    // A folder where the workbook should be: refused before anything is written, nothing left beside it.
    const folder = path.join(fx.scratch, 'folder.xlsx');
    mkdirSync(folder);
    const onFolder = await notify(folder);
    expect(onFolder.code, onFolder.stderr).toBe(1);
    expect(onFolder.stderr).toContain('nothing was recorded');
    expect((await objectionSteps(fx.warehouse, id)).map((step) => step.action)).toEqual(['open']);
    expect(await unmaskViews()).toBe(viewsBefore);
    expect(readdirSync(fx.scratch).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    const out = path.join(fx.scratch, 'retried.xlsx');
    const retried = await notify(out);
    expect(retried.code, retried.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    const steps = await objectionSteps(fx.warehouse, id);
    expect(steps.map((step) => [step.action, step.detail.verification ?? null])).toEqual([
      ['open', null],
      ['note', 'sent'],
    ]);
    expect(await unmaskViews()).toBe(viewsBefore + 1);

    // Written again (its notice already recorded) to where it cannot be: no unmask log for a file not written.
    const again = await notify(path.join(blocker, 'again.xlsx'));
    expect(again.code, again.stderr).toBe(1);
    expect(again.stderr).toContain(
      `objection ${id}: the verification notice was not written, nothing was recorded`,
    );
    expect(await unmaskViews()).toBe(viewsBefore + 1);
    expect((await objectionSteps(fx.warehouse, id)).length).toBe(2);
  }, 300_000);

  it('counts the answer deadline on the official calendar: from the Friday before the Spring Festival', async () => {
    const id = await open(3, '2026-02-13', '处罚已履行完毕');
    const out = path.join(fx.scratch, 'spring.xlsx');
    const result = await cli('objection', 'notify', String(id), '--issued-on', '2026-02-13', '--out', out);
    expect(result.code).toBe(0);
    // Sat 14 Feb is a 调休 workday (day 1); 15–23 Feb are the holiday; Tue 24 Feb is day 2. Mon–Fri would say 17 Feb.
    expect(result.stdout).toContain('answer by 2026-02-24');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    expect(lines(workbook.worksheets[0]!).get('核实答复期限')).toBe(
      '2026-02-24（2 个工作日内，不含发出当日）',
    );
  }, 300_000);

  it('keeps the status in the objection log: sent, overdue, answered (the latest answer wins)', async () => {
    const id = await open(1, '2026-03-02', '罚款金额有误');
    expect(await statusOf(id)).toBe('not-sent');
    const early = await cli('objection', 'answer', String(id), '--result', 'confirmed', '--basis', '复函1号');
    expect(early.code).toBe(2);
    expect(early.stderr).toContain('尚未发出核实通知');

    const out = path.join(fx.scratch, 'overdue.xlsx');
    expect(
      (await cli('objection', 'notify', String(id), '--issued-on', '2026-03-02', '--out', out)).code,
    ).toBe(0);
    expect(await statusOf(id)).toBe('overdue');
    const again = await cli('objection', 'notify', String(id), '--out', out);
    expect(again.stdout).toContain('overdue 逾期未答复 (due 2026-03-04)');
    const reissue = await cli('objection', 'notify', String(id), '--working-days', '5', '--out', out);
    expect(reissue.code).toBe(2);
    expect(reissue.stderr).toContain('has a verification notice already');

    const confirmed = await cli(
      'objection',
      'answer',
      String(id),
      '--result',
      'confirmed',
      '--basis',
      '济市监函〔2026〕8号',
      '--answered-on',
      '2026-03-05',
    );
    expect(confirmed.stdout).toContain('verification confirmed 已答复：信息无误 (2026-03-05)');
    await cli('objection', 'answer', String(id), '--result', 'corrected', '--basis', '济市监函〔2026〕9号');
    expect(await statusOf(id)).toBe('corrected');
    const workbook = new ExcelJS.Workbook();
    await cli('objection', 'notify', String(id), '--out', out);
    await workbook.xlsx.readFile(out);
    expect(lines(workbook.worksheets[0]!).get('当前状态')).toBe('已答复：已更正');

    const show = await cli('objection', 'show', String(id));
    expect(show.stdout).toContain(
      `provider's verification (核实) corrected 已答复：已更正 (${todayInShanghai()})`,
    );
    const list = JSON.parse((await cli('objection', 'list', '--json')).stdout) as Array<{
      id: number;
      verification: { status: string; notice: { deadline: string } | null };
    }>;
    expect(list.find((row) => row.id === id)?.verification).toMatchObject({
      status: 'corrected',
      notice: { deadline: '2026-03-04' },
    });
    const steps = await objectionSteps(fx.warehouse, id);
    expect(steps.map((step) => [step.action, step.detail.verification ?? null, step.basis])).toEqual([
      ['open', null, null],
      ['note', 'sent', null],
      ['note', 'answered', '济市监函〔2026〕8号'],
      ['note', 'answered', '济市监函〔2026〕9号'],
    ]);
    await expect(fx.owner('objection_log').where({ id: steps[1]!.id }).del()).rejects.toThrow(/append-only/);
  }, 300_000);

  it('refuses a notice to a provider that never delivered the record, and once the check is closed', async () => {
    const id = await open(3, '2026-11-30', '当事人名称有误');
    const stranger = await cli(
      'objection',
      'notify',
      String(id),
      '--provider',
      '113799000000000000',
      '--out',
      path.join(fx.scratch, 'stranger.xlsx'),
    );
    expect(stranger.code).toBe(2);
    expect(stranger.stderr).toContain('has no delivery from provider 113799000000000000');
    expect((await objectionSteps(fx.warehouse, id)).map((step) => step.action)).toEqual(['open']);
    await close(id);
    const result = await cli('objection', 'notify', String(id), '--out', path.join(fx.scratch, 'late.xlsx'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('核查已办结');
  }, 300_000);

  it('marks the review notice rows of a record under objection, and lifts the mark when it ends', async () => {
    const [first] = await fx.warehouse('objections').where({ record_id: 1 }).orderBy('id').pluck('id');
    const out = path.join(fx.scratch, 'review.xlsx');
    const issued = await cli('report', 'notice', '--provider', CITY, '--run', '2', '--out', out);
    expect(issued.code).toBe(0);
    const marked = new ExcelJS.Workbook();
    await marked.xlsx.readFile(out);
    const list = rows(marked.getWorksheet('问题清单')!);
    expect(list[0]?.[11]).toBe('异议标注');
    const due = objectionDue('2026-03-02').date;
    expect(list.slice(1).map((row) => row[11])).toEqual([`异议处理中（异议 ${first}，核查期限 ${due}）`]);
    expect(lines(marked.getWorksheet('复核通知')!).get('异议处理中')).toContain('1 条记录正在异议处理中');

    await close(Number(first));
    const again = path.join(fx.scratch, 'review-again.xlsx');
    expect((await cli('report', 'notice', '--id', '1', '--out', again)).code).toBe(0);
    const lifted = new ExcelJS.Workbook();
    await lifted.xlsx.readFile(again);
    expect(
      rows(lifted.getWorksheet('问题清单')!)
        .slice(1)
        .map((row) => row[11] ?? ''),
    ).toEqual(['']);
    expect(lines(lifted.getWorksheet('复核通知')!).has('异议处理中')).toBe(false);
  }, 300_000);
});

/** A sheet's rows as text cells. */
function rows(sheet: ExcelJS.Worksheet): string[][] {
  return sheetValues(sheet).map((row) => row.map((value) => (value == null ? '' : String(value))));
}

/** A letter sheet's label → value lines. */
function lines(sheet: ExcelJS.Worksheet): Map<string, string> {
  return new Map(rows(sheet).map((row) => [row[0] ?? '', row[1] ?? '']));
}
