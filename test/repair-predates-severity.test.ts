import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { nextDay, periodEnd } from '../src/disclosure/civil-dates.ts';
import { fixtureCli, recordIdOf } from './support/fixture-cli.ts';
import { edit, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';
import { warningPenalties } from './support/warning-penalties.ts';

const COMPANY = makeUscc('91', '370102', 4_040_906);
const GROUNDS = ['--basis', '鲁信修〔2026〕9号', '--reason', '已履行处罚义务', '--operator', '王科员'];
const today = todayInShanghai();
const decided = periodEnd(today, -1);
/** A calendar day `days` before today (Asia/Shanghai). */
const daysAgo = (days: number) =>
  new Date(Date.parse(`${today}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);

/**
 * A credit repair made while a penalty was 警告 (轻微, repairable at once) does not end the disclosure of the 吊销
 * (严重, repairable only after 12 months) a later delivery or an upheld objection's correction made of it; and a
 * platform check closed after its due date is said, and listed as 逾期办结. Through the CLI on PostgreSQL.
 */
describe('a repair that predates the severity now in force; a check closed late', {
  timeout: 600_000,
}, () => {
  let fx: WarehouseFixture;
  const penalty = warningPenalties({ seed: 906, company: COMPANY, name: '济南修复示例有限公司', decided });
  const redelivered = penalty(0, '鲁济市监罚〔2026〕906号');
  const corrected = penalty(1, '鲁济市监罚〔2026〕907号');
  const late = penalty(2, '鲁济市监罚〔2026〕908号');
  const onTime = penalty(3, '鲁济市监罚〔2026〕909号');
  const { cli, json } = fixtureCli(() => fx);
  const idOf = (decision: string) => recordIdOf(fx, decision);
  const openObjection = (recordId: number, receivedAt: string) =>
    json([
      'objection',
      'open',
      String(recordId),
      '--applicant',
      '济南修复示例有限公司',
      '--reason',
      '处罚类别有误',
      '--received-at',
      receivedAt,
      '--operator',
      '李科员',
    ]);
  const close = (id: number, args: string[]) =>
    cli([
      'objection',
      'close',
      String(id),
      '--note',
      '经核查，已告知',
      '--basis',
      '鲁信异〔2026〕3号',
      ...args,
    ]);

  beforeAll(async () => {
    fx = await openWarehouseFixture('repair_predates_severity');
    const summary = await fx.ingest([
      writeRows(fx.scratch, 'p1.csv', [redelivered, corrected, late, onTime]),
    ]);
    expect(summary.counts.inserted).toBe(4);
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('a 警告 repaired, re-delivered as 吊销: shown again, record says why, verify names it without failing', async () => {
    const id = await idOf('鲁济市监罚〔2026〕906号');
    const repaired = await cli(['repair', String(id), ...GROUNDS]);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect((await json(['record', String(id)])).disclosure.state).toBe('repaired');
    const summary = await fx.ingest([
      writeRows(fx.scratch, 'p2.csv', [
        edit(redelivered, { 处罚类别: '吊销许可证件', 处罚内容: '吊销食品经营许可证' }),
      ]),
    ]);
    expect(summary.counts.updated).toBe(1);
    const shown = (await json(['record', String(id)])).disclosure;
    expect(shown).toMatchObject({ state: 'disclosed', earlyRepair: { on: today } });
    expect(shown.earlyRepair.repairableFrom > today).toBe(true);
    const text = (await cli(['record', String(id)])).stdout;
    const disclosureLine = text.split('\n').find((line) => line.startsWith('disclosure on '));
    expect(disclosureLine).toMatch(/^disclosure on \S+: 公示中（至 /);
    expect(disclosureLine).not.toContain('已信用修复');
    expect(text).toContain(`信用修复（${today}，程序 #`);
    expect(text).toContain(
      `早于现行失信程度，可申请信用修复自 ${shown.earlyRepair.repairableFrom}，不停止公示`,
    );
    // 严重: repairable once 12 months from the decision have run.
    expect(shown.earlyRepair.repairableFrom).toBe(nextDay(periodEnd(decided, 12)));
    const verify = await cli(['verify']);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(new RegExp(`✗ record ${id} .*repair-predates-severity`));
    expect(verify.stdout).toContain('1 件信用修复早于现行失信程度');
    expect(verify.stdout).not.toContain(': clean (');
  });

  it('an upheld objection correcting 警告 to 吊销许可证件 does the same', async () => {
    const id = await idOf('鲁济市监罚〔2026〕907号');
    expect((await cli(['repair', String(id), ...GROUNDS])).code).toBe(0);
    const objection = await openObjection(id, today);
    const closed = await close(objection.id, ['--result', 'upheld', '--set', 'CF_CFLB=吊销许可证件']);
    expect(closed.code, closed.stderr).toBe(0);
    const shown = (await json(['record', String(id)])).disclosure;
    expect(shown.state).toBe('disclosed');
    expect(shown.label).toContain('早于现行失信程度');
    const verify = await json(['verify']);
    expect(verify.status).toBe('completed');
    expect(verify.counts.repairsPredatingSeverity).toBe(2);
    expect(
      verify.records.filter((finding: { problem: string }) => finding.problem === 'repair-predates-severity'),
    ).toHaveLength(2);
  });

  it('a check closed after its due date warns and is listed as closed late (逾期办结); one in time is not', async () => {
    const lateId = await idOf('鲁济市监罚〔2026〕908号');
    const received = daysAgo(14);
    const opened = await openObjection(lateId, received);
    const dueOn = opened.dueOn as string;
    expect(dueOn < today).toBe(true);
    const closed = await close(opened.id, ['--result', 'rejected']);
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.stderr).toContain(
      `异议 #${opened.id}（记录 ${lateId}）${received} 受理，核查期限 ${dueOn}，今天 ${today} 办结已逾期：记为逾期办结`,
    );
    expect(closed.stderr).toContain('listed as closed late');

    const inTime = await openObjection(await idOf('鲁济市监罚〔2026〕909号'), today);
    const closedInTime = await close(inTime.id, ['--result', 'rejected', '--json']);
    expect(closedInTime.code, closedInTime.stderr).toBe(0);
    expect(closedInTime.stderr).not.toContain('逾期');
    expect(JSON.parse(closedInTime.stdout).warnings).toEqual([]);

    const listed = await json(['objection', 'list']);
    const row = (id: number) => listed.find((one: { id: number }) => one.id === id);
    expect(row(opened.id)).toMatchObject({ overdue: false, closedLate: true, closedOn: today });
    expect(row(inTime.id)).toMatchObject({ overdue: false, closedLate: false });
    const table = (await cli(['objection', 'list'])).stdout;
    const line = (id: number) => table.split('\n').find((text) => text.trimStart().startsWith(`${id} `));
    expect(line(opened.id)).toContain(`办结：异议不成立 · 逾期办结（${today} 办结）`);
    expect(line(inTime.id)).not.toContain('逾期');
    expect((await json(['objection', 'show', String(opened.id)])).closedLate).toBe(true);
    expect((await cli(['objection', 'show', String(opened.id)])).stdout).toContain('逾期办结');
  });
});
