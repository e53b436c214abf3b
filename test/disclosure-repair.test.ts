import { readFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { objectionDue } from '../src/calendar/objection-due.ts';
import { nextDay, periodEnd } from '../src/disclosure/civil-dates.ts';
import { withdrawRecord } from '../src/procedures/legal-procedures.ts';
import { asOfficer, insertObjection } from '../src/warehouse/objection-log-repository.ts';
import { procedureEntries } from '../src/warehouse/procedure-log-repository.ts';
import { fixtureCli, REPAIR_GROUNDS, recordIdOf } from './support/fixture-cli.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const COMPANY = makeUscc('91', '370102', 4_040_001);
const USCC = '行政相对人代码_1(统一社会信用代码)';
const today = todayInShanghai();
const monthsAgo = (months: number) => periodEnd(today, -months);

describe('disclosure periods and credit repair through the CLI', () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(10, 1916);
  const penalty = (i: number, decision: string, category: string, decided: string, changes = {}) =>
    edit(rows[i] as PenaltyRow, {
      行政处罚决定书文号: decision,
      处罚类别: category,
      处罚决定日期: decided,
      公示截止期: '',
      ...changes,
    });
  const company = { [USCC]: COMPANY, 行政相对人名称: '济南披露示例有限公司' };
  const repairable = penalty(0, '鲁济市监罚〔2026〕4101号', '没收违法所得', monthsAgo(5), company);
  const tooEarly = penalty(1, '鲁济市监罚〔2026〕4102号', '没收违法所得', monthsAgo(1), company);
  const serious = penalty(2, '鲁济市监罚〔2026〕4103号', '吊销许可证件', '2026-01-15', company);
  const expired = penalty(3, '鲁济市监罚〔2026〕4104号', '罚款', monthsAgo(14), company);
  const toWithdraw = penalty(4, '鲁济市监罚〔2026〕4105号', '罚款', monthsAgo(2), company);
  const disputed = penalty(5, '鲁济市监罚〔2026〕4106号', '罚款', monthsAgo(2), company);
  // Row 7 of the generated rows is a natural person (证件号码 a resident ID): masked in the export. 轻微, so shown
  // only because the provider gave a 公示截止期 (within the 3 months).
  const person = penalty(7, '鲁济市监罚〔2026〕4107号', '警告', monthsAgo(1), {
    公示截止期: periodEnd(monthsAgo(1), 2),
  });
  const personId = (rows[7] as PenaltyRow).证件号码 as string;
  const { cli } = fixtureCli(() => fx);
  const idOf = (decision: string) => recordIdOf(fx, decision);

  beforeAll(async () => {
    fx = await openWarehouseFixture('disclosure_repair');
    const summary = await fx.ingest([
      writeRows(fx.scratch, 'd1.csv', [repairable, tooEarly, serious, expired, toWithdraw, disputed, person]),
    ]);
    expect(summary.counts.inserted).toBe(7);
    await withdrawRecord(fx.warehouse, await idOf('鲁济市监罚〔2026〕4105号'), {
      basis: '鲁济市监撤〔2026〕1号',
      reason: '处罚决定已被撤销',
      operator: '王科员',
    });
    await asOfficer(fx.warehouse, async (trx) =>
      insertObjection(trx, {
        recordId: await idOf('鲁济市监罚〔2026〕4106号'),
        applicant: '济南披露示例有限公司',
        reason: '罚款已缴纳，决定书文号有误',
        receivedOn: today,
        // As the engine counts it: verify recomputes an open objection's due date.
        dueOn: objectionDue(today).date,
        dueProvisional: objectionDue(today).provisional,
        channel: 'platform',
        operator: '王科员',
      }),
    );
  }, 120_000);
  afterAll(async () => fx?.close());

  it('record and subject show 公示中 to the last day of the period and 公示期满 from the day after', async () => {
    const id = await idOf('鲁济市监罚〔2026〕4103号');
    const last = await cli(['record', String(id), '--as-of', '2029-01-15', '--json']);
    expect(last.code).toBe(0);
    expect(JSON.parse(last.stdout).disclosure).toMatchObject({
      state: 'disclosed',
      until: '2029-01-15',
      period: {
        severity: '严重',
        severitySource: 'field',
        severityValue: '吊销许可证件',
        repairableFrom: '2027-01-16',
      },
    });
    const after = await cli(['record', String(id), '--as-of', '2029-01-16', '--json']);
    expect(JSON.parse(after.stdout).disclosure).toMatchObject({ state: 'expired', since: '2029-01-16' });
    const text = await cli(['record', String(id), '--as-of', '2029-01-15']);
    expect(text.stdout).toContain('disclosure on 2029-01-15: 公示中（至 2029-01-15）');
    expect(text.stdout).toContain('失信程度 严重（按 吊销许可证件）');
    const subject = await cli(['subject', COMPANY, '--as-of', '2029-01-16']);
    expect(subject.code).toBe(0);
    expect(subject.stdout).toContain('disclosure on 2029-01-16');
    expect(subject.stdout).toContain('公示期满（自 2029-01-16 起停止公示）');
    const now = JSON.parse((await cli(['subject', COMPANY, '--json'])).stdout);
    const states = Object.fromEntries(
      now.groups[0].records.map((r: { recordId: number; disclosure: { state: string } }) => [
        r.recordId,
        r.disclosure.state,
      ]),
    );
    expect(states[await idOf('鲁济市监罚〔2026〕4104号')]).toBe('expired');
    expect(states[await idOf('鲁济市监罚〔2026〕4106号')]).toBe('objection');
    expect(states[await idOf('鲁济市监罚〔2026〕4101号')]).toBe('disclosed');
  }, 120_000);

  it('repair is refused before the minimum period, naming the day it becomes possible; nothing is logged', async () => {
    const id = await idOf('鲁济市监罚〔2026〕4102号');
    const refused = await cli(['repair', String(id), ...REPAIR_GROUNDS]);
    expect(refused.code).toBe(2);
    const from = nextDay(periodEnd(monthsAgo(1), 3));
    expect(refused.stderr).toContain(`最短公示期未满，自 ${from} 起方可信用修复`);
    expect(refused.stderr).toContain('失信程度 一般（按 没收违法所得）');
    expect(await procedureEntries(fx.warehouse, { recordId: id })).toEqual([]);
  }, 60_000);

  it('repair ends disclosure through the procedure log: record current, versions kept, verify clean, not twice', async () => {
    const id = await idOf('鲁济市监罚〔2026〕4101号');
    const versionsBefore = await fx
      .warehouse('record_versions')
      .where({ record_id: id })
      .count<{ count: number }[]>();
    const done = await cli(['repair', String(id), ...REPAIR_GROUNDS, '--json']);
    expect(done.stderr).not.toContain('refused');
    expect(done.code).toBe(0);
    const entry = JSON.parse(done.stdout);
    expect(entry).toMatchObject({
      kind: 'repair',
      recordId: id,
      basis: '鲁信修〔2026〕8号',
      operator: '王科员',
      before: { status: 'current', disclosure: { state: 'disclosed', severity: '一般', asOf: today } },
      after: { status: 'current', disclosure: { state: 'repaired', on: today } },
    });
    const record = await fx.warehouse('records').where({ id }).first();
    expect(record.status).toBe('current');
    expect(await fx.warehouse('record_versions').where({ record_id: id }).count()).toEqual(versionsBefore);
    const shown = JSON.parse((await cli(['record', String(id), '--json'])).stdout);
    expect(shown.disclosure).toMatchObject({
      state: 'repaired',
      repair: { procedureId: entry.id, on: today },
    });
    const text = await cli(['record', String(id)]);
    expect(text.stdout).toContain(`已信用修复（${today}，程序 #${entry.id}）`);
    expect(text.stdout).toContain('信用修复 repair');
    const verify = await cli(['verify']);
    expect(verify.stdout + verify.stderr).not.toContain('procedure-log');
    expect(verify.code).toBe(0);
    const again = await cli(['repair', String(id), ...REPAIR_GROUNDS]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`已于 ${today} 信用修复（程序 #${entry.id}），不能重复修复`);
  }, 120_000);

  it('repair is refused for an expired and a withdrawn record, and the database refuses a direct call too', async () => {
    const expiredId = await idOf('鲁济市监罚〔2026〕4104号');
    const late = await cli(['repair', String(expiredId), ...REPAIR_GROUNDS]);
    expect(late.code).toBe(2);
    expect(late.stderr).toMatch(/公示期满（自 \d{4}-\d{2}-\d{2} 起停止公示）：无需信用修复/);
    const withdrawn = await cli(['repair', '鲁济市监罚〔2026〕4105号', ...REPAIR_GROUNDS]);
    expect(withdrawn.code).toBe(2);
    expect(withdrawn.stderr).toContain('已撤销');
    const early = await idOf('鲁济市监罚〔2026〕4102号');
    await expect(
      asOfficer(fx.warehouse, (trx) =>
        trx.raw('SELECT procedure_repair(?, ?::jsonb, ?, ?, ?)', [
          early,
          JSON.stringify({ state: 'disclosed', repairableFrom: '2999-01-01' }),
          'x',
          'y',
          'z',
        ]),
      ),
    ).rejects.toThrow(/尚不能信用修复（可申请日期：2999-01-01）/);
    await expect(
      fx.warehouse.raw('SELECT procedure_repair(?, ?::jsonb, ?, ?, ?)', [early, '{}', 'x', 'y', 'z']),
    ).rejects.toThrow(/permission denied/);
  }, 60_000);

  it('report disclosure: shown records only, objections labelled, masked, every record counted, its time Beijing time', async () => {
    const json = path.join(fx.scratch, 'disclosure.json');
    const done = await cli(['report', 'disclosure', '--as-of', today, '--out', json]);
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    const text = readFileSync(json, 'utf8');
    const report = JSON.parse(text);
    const decisions = report.records.map((r: { fields: Record<string, string> }) => r.fields.CF_WSH).sort();
    expect(decisions).toEqual([
      '鲁济市监罚〔2026〕4102号',
      '鲁济市监罚〔2026〕4103号',
      '鲁济市监罚〔2026〕4106号',
      '鲁济市监罚〔2026〕4107号',
    ]);
    expect(report.counts).toEqual({
      records: 7,
      shown: 4,
      objection: 1,
      expired: 1,
      repaired: 1,
      withdrawn: 1,
      superseded: 0,
      notPublic: 0,
      versionMissing: 0,
      minor: 0,
      notYet: 0,
    });
    const labelled = report.records.find((r: { fields: Record<string, string> }) =>
      r.fields.CF_WSH?.endsWith('4106号'),
    );
    expect(labelled).toMatchObject({
      state: 'objection',
      objection: expect.stringMatching(/^异议处理中（异议 #\d+，/),
    });
    expect(text).toContain(COMPANY);
    expect(text).not.toContain(personId);
    const shownPerson = report.records.find((r: { fields: Record<string, string> }) =>
      r.fields.CF_WSH?.endsWith('4107号'),
    );
    expect(shownPerson.fields.CF_XDR_ZJHM).toMatch(/^\d{4}\*+\d{3}[\dX]$/);
    expect(done.stdout).toContain('其中异议处理中（标注） 1');

    const csv = path.join(fx.scratch, 'disclosure.csv');
    expect((await cli(['report', 'disclosure', '--as-of', today, '--out', csv])).code).toBe(0);
    const lines = readFileSync(csv, 'utf8').split('\r\n').filter(Boolean);
    expect(lines[0]?.startsWith('\uFEFF记录编号,目录,公示状态,公示截止日期,异议标注,失信程度')).toBe(true);
    expect(lines).toHaveLength(5);
    expect(lines.join('\n')).not.toContain(personId);

    const xlsx = path.join(fx.scratch, 'disclosure.xlsx');
    expect((await cli(['report', 'disclosure', '--as-of', today, '--out', xlsx])).code).toBe(0);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(xlsx);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['行政处罚(xzcf)', '汇总']);
    expect(workbook.getWorksheet('行政处罚(xzcf)')?.actualRowCount).toBe(5);
    // Its time is Beijing time, as every report's: a UTC instant read as the report being older than its day.
    const summary = new Map<string, string>();
    workbook.getWorksheet('汇总')?.eachRow((row) => {
      summary.set(row.getCell(1).text, row.getCell(2).text);
    });
    const beijingToday = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    expect(summary.get('生成时间')).toMatch(new RegExp(`^${beijingToday} \\d\\d:\\d\\d:\\d\\d（北京时间）$`));

    // Three years on, only the 严重 penalty (to 2029-01-15) is still shown.
    const later = JSON.parse(
      (await cli(['report', 'disclosure', '--as-of', '2029-01-15', '--out', json])).code === 0
        ? readFileSync(json, 'utf8')
        : '{}',
    );
    expect(later.records.map((r: { fields: Record<string, string> }) => r.fields.CF_WSH)).toEqual([
      '鲁济市监罚〔2026〕4103号',
    ]);
  }, 180_000);
});
