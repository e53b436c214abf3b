import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { findRecords } from '../src/records/record-history.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { sheetValues } from './support/sheet-values.ts';
import { fixturePath, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// Received the day xzcf v3 (and its 2016 layout, v2) took effect: the pre-2021 either/or category is kept as it is.
const RECEIVED = new Date('2026-12-05T10:00:00+08:00');
const EITHER = '暂扣或者吊销许可证、暂扣或者吊销执照';
const COMPANY = makeUscc('91', '370102', 4_050_001);
const USCC = '行政相对人代码_1(统一社会信用代码)';

describe('disclosure periods: 暂扣或者吊销, 轻微 and 严重失信主体名单 through the CLI', () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(8, 2052);
  const penalty = (
    i: number,
    decision: string,
    category: string,
    content: string,
    decided: string,
    end = '',
  ) =>
    edit(rows[i] as PenaltyRow, {
      行政处罚决定书文号: decision,
      处罚类别: category,
      处罚内容: content,
      处罚决定日期: decided,
      公示截止期: end,
      '罚款金额（万元）': '',
      [USCC]: COMPANY,
      行政相对人名称: '济南公示期示例有限公司',
    });
  const suspended = penalty(
    0,
    '鲁济市监罚〔2026〕5101号',
    '暂扣或者吊销许可证',
    '暂扣食品经营许可证一个月',
    '2026-06-01',
    '2026-12-01',
  );
  const revoked = penalty(1, '鲁济市监罚〔2026〕5102号', '暂扣或者吊销执照', '吊销营业执照', '2026-06-01');
  const unsaid = penalty(
    2,
    '鲁济市监罚〔2026〕5103号',
    EITHER,
    '暂扣或者吊销许可证',
    '2026-06-01',
    '2026-12-01',
  );
  const minor = penalty(3, '鲁济市监罚〔2026〕5104号', '警告', '警告', '2026-11-01');
  const minorShown = penalty(4, '鲁济市监罚〔2026〕5105号', '警告', '警告', '2026-11-01', '2027-01-15');
  const minorTooLong = penalty(
    5,
    '鲁济市监罚〔2026〕5106号',
    '通报批评',
    '通报批评',
    '2026-11-01',
    '2027-06-30',
  );
  // 严重 (1 to 3 years) with a 公示截止期 two weeks after the decision: raised to the 1-year minimum. (Not 吊销许可证件:
  // the first case shows no row of this file was stored as a revocation.)
  const severeShort = penalty(
    6,
    '鲁济市监罚〔2026〕5107号',
    '责令停产停业',
    '责令停产停业三个月',
    '2026-09-01',
    '2026-09-15',
  );
  const cli = (args: string[]) =>
    runCli(args, { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') });
  /** The record's disclosure on a day, as `record --json` gives it, and with `text` as its text output too. */
  const record = async (decision: string, asOf: string, text = false) => {
    const found = await findRecords(fx.warehouse, decision);
    expect(found).toHaveLength(1);
    const id = String(found[0]!.id);
    const json = await cli(['record', id, '--as-of', asOf, '--json']);
    expect(json.code).toBe(0);
    return {
      json: JSON.parse(json.stdout),
      text: text ? (await cli(['record', id, '--as-of', asOf])).stdout : '',
    };
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('disclosure_periods');
    const penalties = await fx.ingest(
      [
        writeRows(fx.scratch, 'p.csv', [
          suspended,
          revoked,
          unsaid,
          minor,
          minorShown,
          minorTooLong,
          severeShort,
        ]),
      ],
      { receivedAt: RECEIVED },
    );
    expect(penalties.counts).toMatchObject({ inserted: 7, rejected: 0 });
    const list = await fx.ingest([fixturePath('yzsxmd', 'basic', 'input.csv')], {
      catalog: 'yzsxmd',
      receivedAt: RECEIVED,
    });
    expect(list.counts.inserted).toBe(4);
    // A past --as-of day shows only what the warehouse held by its end: the records are taken as delivered on
    // 2026-11-01 (their versions' stamp set back behind the engine's back), so the days below judge the periods.
    await fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica');
      await trx.raw(`UPDATE record_versions SET created_at = '2026-11-01T00:00:00+08:00'`);
    });
  }, 120_000);
  afterAll(async () => fx?.close());

  it('暂扣或者吊销 is stored as the one category the provider stated, never as a revocation too', async () => {
    const stored = await fx
      .warehouse('records as r')
      .join('record_versions as v', 'v.id', 'r.current_version_id')
      .where('r.catalog_code', 'xzcf')
      .orderBy('r.business_key')
      .select('v.data', 'v.catalog_version');
    const categories = stored.map((row) => row.data.CF_CFLB as string);
    expect(categories.filter((category) => category === EITHER)).toHaveLength(3);
    expect(categories.join(';')).not.toContain('吊销许可证件');
    expect(new Set(stored.map((row) => row.catalog_version))).toEqual(new Set([3]));
  });

  it("its severity is what 处罚内容 says: a suspension is 一般 and keeps the provider's 6-month end", async () => {
    const { json, text } = await record('鲁济市监罚〔2026〕5101号', '2026-12-01', true);
    expect(json.disclosure).toMatchObject({
      state: 'disclosed',
      until: '2026-12-01',
      period: { severity: '一般', severitySource: 'text', severityTerm: '暂扣', untilSource: 'row' },
    });
    expect(text).toContain('disclosure on 2026-12-01: 公示中（至 2026-12-01）');
    expect(text).toContain(`失信程度 一般（按 ${EITHER}，内容写明“暂扣”）；按数据所填截止日期`);
    expect((await record('鲁济市监罚〔2026〕5101号', '2026-12-02')).json.disclosure.state).toBe('expired');

    const revocation = await record('鲁济市监罚〔2026〕5102号', '2026-12-05');
    expect(revocation.json.disclosure).toMatchObject({
      until: '2029-06-01',
      period: { severity: '严重', severitySource: 'text', severityTerm: '吊销', untilSource: 'max' },
    });

    const neither = await record('鲁济市监罚〔2026〕5103号', '2026-11-30', true);
    expect(neither.json.disclosure.period).toMatchObject({ severity: '一般', severitySource: 'default' });
    expect(neither.text).toContain(`失信程度 一般（默认：${EITHER} 不能确定失信程度，内容未写明吊销或暂扣）`);
  }, 120_000);

  it('轻微 without a 公示截止期 is not published, and says why; with one, shown to it within 3 months', async () => {
    const unpublished = await record('鲁济市监罚〔2026〕5104号', '2026-12-05', true);
    expect(unpublished.json.disclosure).toMatchObject({
      state: 'not-disclosed',
      reason: 'minor',
      period: { public: false, severity: '轻微', untilSource: 'minor-unpublished' },
    });
    expect(unpublished.text).toContain(
      'disclosure on 2026-12-05: 不公示：轻微失信信息原则上不公示（未填公示截止期）',
    );
    expect(unpublished.text).toContain('失信程度 轻微（按 警告）；未填公示截止期，轻微失信信息原则上不公示');
    expect((await record('鲁济市监罚〔2026〕5105号', '2026-12-05')).json.disclosure).toMatchObject({
      state: 'disclosed',
      until: '2027-01-15',
      period: { untilSource: 'row' },
    });
    expect((await record('鲁济市监罚〔2026〕5106号', '2026-12-05')).json.disclosure).toMatchObject({
      state: 'disclosed',
      until: '2027-02-01',
      period: { untilSource: 'row-cut-to-max' },
    });
  }, 120_000);

  it('a 严重失信主体名单 record without 移出日期 is shown to 列入日期 + 3 years, then ends by itself', async () => {
    const open = await record('（2026）鲁01执101号', '2029-03-05', true);
    expect(open.json.disclosure).toMatchObject({
      state: 'disclosed',
      until: '2029-03-05',
      period: { from: '2026-03-05', untilSource: 'max' },
    });
    expect(open.text).toContain('公示中（至 2029-03-05）');
    expect(open.text).toContain('未填截止日期，按失信信息最长公示期（3年）');
    // Never 公示中（长期）; the 长期保存 of its retention line is how long it is kept, not shown.
    expect(open.text).not.toContain('公示中（长期）');
    expect((await record('（2026）鲁01执101号', '2029-03-06')).json.disclosure.state).toBe('expired');
    // Its own 移出日期 is the end when the row gives one.
    expect((await record('（2026）鲁01执102号', '2026-12-05')).json.disclosure).toMatchObject({
      until: '2029-03-05',
      period: { untilSource: 'row' },
    });
  }, 120_000);

  it('report disclosure shows and counts the same: 轻微 without an end counted apart, no list record 长期', async () => {
    const out = path.join(fx.scratch, 'disclosure.json');
    const done = await cli(['report', 'disclosure', '--as-of', '2026-12-05', '--out', out]);
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    const shown = report.records.map(
      (r: { fields: Record<string, string> }) => r.fields.CF_WSH ?? r.fields.SX_WSH,
    );
    expect(shown).not.toContain('鲁济市监罚〔2026〕5104号');
    expect(shown).toEqual(
      expect.arrayContaining([
        '鲁济市监罚〔2026〕5102号',
        '鲁济市监罚〔2026〕5105号',
        '鲁济市监罚〔2026〕5106号',
      ]),
    );
    expect(report.counts).toMatchObject({ records: 11, shown: 8, expired: 2, minor: 1, notPublic: 0 });
    expect(report.records.map((r: { until: string }) => r.until)).not.toContain('长期');
    expect(done.stdout).toContain('轻微失信、未填公示截止期（原则上不公示） 1');
  }, 120_000);

  it('report disclosure: a 公示截止期 the rules cut or raised shows the effective end, and 公示期限说明 says why, in every format', async () => {
    const asOf = '2026-12-05';
    const write = async (extension: string) => {
      const out = path.join(fx.scratch, `adjusted.${extension}`);
      const done = await cli(['report', 'disclosure', '--as-of', asOf, '--out', out]);
      expect(done.code, done.stderr).toBe(0);
      return out;
    };
    const raised = '提供单位填报 2026-09-15，按最短公示期限（严重：1年）调整';
    const cut = '提供单位填报 2027-06-30，按最长公示期限（轻微：3个月）调整';
    // What each decision shows: [公示截止日期, 公示截止期, 公示期限说明].
    const expected = {
      '鲁济市监罚〔2026〕5107号': ['2027-09-01', '2027-09-01', raised],
      '鲁济市监罚〔2026〕5106号': ['2027-02-01', '2027-02-01', cut],
      // Within the rules: the provider's own date, nothing to say.
      '鲁济市监罚〔2026〕5105号': ['2027-01-15', '2027-01-15', ''],
    };

    type Shown = { until: string; untilNote: string; fields: Record<string, string> };
    const json = JSON.parse(readFileSync(await write('json'), 'utf8')) as { records: Shown[] };
    const byDecision = new Map(json.records.map((r) => [r.fields.CF_WSH, r]));
    for (const [decision, [until, own, note]] of Object.entries(expected))
      expect([
        decision,
        byDecision.get(decision)?.until,
        byDecision.get(decision)?.fields.CF_GSJZQ,
        byDecision.get(decision)?.untilNote,
      ]).toEqual([decision, until, own, note]);
    // No record shown carries an end of its own that contradicts the end it is shown to.
    for (const record of json.records)
      if (record.fields.CF_GSJZQ)
        expect([record.fields.CF_WSH, record.fields.CF_GSJZQ]).toEqual([record.fields.CF_WSH, record.until]);

    const [header, ...lines] = parse(
      readFileSync(await write('csv'), 'utf8').replace(/^\uFEFF/, ''),
    ) as string[][];
    const column = (title: string) => header!.indexOf(title);
    expect(header!.slice(0, 7)).toEqual([
      '记录编号',
      '目录',
      '公示状态',
      '公示截止日期',
      '异议标注',
      '失信程度',
      '公示期限说明',
    ]);
    const csvRows = new Map(lines.map((line) => [line[column('行政处罚决定书文号')], line]));
    for (const [decision, [until, own, note]] of Object.entries(expected)) {
      const line = csvRows.get(decision);
      expect([
        decision,
        line?.[column('公示截止日期')],
        line?.[column('公示截止期')],
        line?.[column('公示期限说明')],
      ]).toEqual([decision, until, own, note]);
    }

    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(await write('xlsx'));
    const [sheetHeader, ...sheetRows] = sheetValues(workbook.getWorksheet('行政处罚(xzcf)')!) as unknown[][];
    const cell = (row: unknown[] | undefined, title: string) => row?.[sheetHeader!.indexOf(title)] ?? '';
    const xlsxRows = new Map(sheetRows.map((row) => [cell(row, '行政处罚决定书文号'), row]));
    for (const [decision, [until, own, note]] of Object.entries(expected)) {
      const row = xlsxRows.get(decision);
      expect([
        decision,
        cell(row, '公示截止日期'),
        cell(row, '公示截止期'),
        cell(row, '公示期限说明'),
      ]).toEqual([decision, until, own, note]);
    }

    // The warehouse keeps what the provider delivered: a legal record, changed only by a legal procedure.
    const [stored] = await findRecords(fx.warehouse, '鲁济市监罚〔2026〕5107号');
    const { json: shownRecord } = await record('鲁济市监罚〔2026〕5107号', asOf);
    expect(shownRecord.disclosure).toMatchObject({
      until: '2027-09-01',
      period: { untilSource: 'row-raised-to-min' },
    });
    const data = await fx.warehouse('record_versions').where({ record_id: stored!.id }).pluck('data');
    expect(data.map((row: Record<string, string>) => row.CF_GSJZQ)).toEqual(['2026-09-15']);
  }, 120_000);
});
