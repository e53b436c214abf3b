import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { noticeStates } from '../src/report/notice-status.ts';
import type { Warehouse } from '../src/warehouse/connect-warehouse.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/*
 * Issue #18 acceptance: a provider fixes only the flagged cells of the notice's re-upload template and sends the
 * workbook back as it is. The notice closes, the warehouse holds the corrected values and no apostrophes, and
 * holds exactly what a correct first delivery would have given.
 */

// Registered in config/providers.json: the CLI refuses an unregistered provider.
const PROVINCE = '11370000MB2852362M';
const CITY = '11370100MB28174284';
const AUTHORITY = '913701020000050122';
const SUBJECT = '91370102001000010X';
const PERSON = '371102197906124048';

function row(fields: Record<string, string>): string[] {
  const base: Record<string, string> = {
    行政相对人名称: '济南示例商贸有限公司',
    行政相对人类别: '法人及非法人组织',
    '行政相对人代码_1(统一社会信用代码)': SUBJECT,
    法定代表人: '李一',
    违法行为类型: '违反《中华人民共和国食品安全法》第三十四条',
    违法事实: '该单位未按规定公示年度报告。',
    处罚依据: '《中华人民共和国食品安全法》第一百二十四条',
    处罚类别: '罚款',
    处罚内容: '罚款人民币1万元',
    '罚款金额（万元）': '1',
    处罚决定日期: '2026-07-15',
    处罚有效期: '2099-12-31',
    公示截止期: '2029-12-31',
    处罚机关: '济南市市场监督管理局',
    处罚机关统一社会信用代码: AUTHORITY,
    数据来源单位: '济南市市场监督管理局',
    数据来源单位统一社会信用代码: AUTHORITY,
  };
  const all = { ...base, ...fields };
  return PENALTY_HEADER.map((title) => all[title] ?? '');
}

const docNo = (n: number) => ({ 行政处罚决定书文号: `济市监罚〔2026〕${n}号` });

/** The province's version of the record the city's file conflicts with. */
const provinceRow = row(docNo(1));

/** The city's file: row numbers as Excel shows them (header = 1). */
const cityRows = {
  good: row({ ...docNo(2), 备注: '-' }), // 2: inserted, never touched again
  conflict: row({ ...docNo(1), 处罚内容: '罚款人民币2万元' }), // 3: differs from the province's version
  duplicate: row({ ...docNo(1), 处罚内容: '罚款人民币2万元', 备注: '复核后补充' }), // 4: same key as 3
  badCode: row({
    ...docNo(5),
    '行政相对人代码_1(统一社会信用代码)': '913701020010000101',
    违法事实: '+当事人多次违法',
    备注: '-',
  }), // 5: wrong check character
  negative: row({ ...docNo(6), '罚款金额（万元）': '-5', 备注: '=1+1' }), // 6: below the minimum
  person: row({
    ...docNo(7),
    行政相对人名称: '张某',
    行政相对人类别: '自然人',
    '行政相对人代码_1(统一社会信用代码)': '',
    法定代表人: '',
    证件类型: '身份证',
    证件号码: PERSON,
    处罚决定日期: '2026-02-30',
  }), // 7: an impossible date; the ID is the provider's own, unflagged
};

/** What the provider puts in each flagged cell it corrects, by 文号 and column title (others stay as they are). */
const FIXES: Record<string, Record<string, unknown>> = {
  '1': { 处罚内容: '罚款人民币1万元' },
  '5': { '行政相对人代码_1(统一社会信用代码)': SUBJECT },
  '6': { '罚款金额（万元）': 5 },
  '7': { 处罚决定日期: new Date(Date.UTC(2026, 1, 27)) },
};

/** The file the city should have sent: one row per key, every value right. */
const intended = [
  cityRows.good,
  row(docNo(1)),
  row({ ...docNo(5), 违法事实: '+当事人多次违法', 备注: '-' }),
  row({ ...docNo(6), '罚款金额（万元）': '5', 备注: '=1+1' }),
  [...cityRows.person.slice(0, 22), '2026-02-27', ...cityRows.person.slice(23)],
];

interface StoredRecord {
  business_key: string;
  current_version_id: string;
  data: Record<string, unknown>;
}

async function storedRecords(warehouse: Warehouse): Promise<StoredRecord[]> {
  return warehouse('records as r')
    .join('record_versions as v', 'v.id', 'r.current_version_id')
    .orderBy('r.business_key')
    .select('r.business_key', 'r.current_version_id', 'v.data');
}

/** Every worksheet part of a workbook, as its XML. */
async function sheetXml(file: string): Promise<string> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  let text = '';
  try {
    for await (const entry of zip.eachEntry()) {
      if (!/^xl\/worksheets\/sheet\d+\.xml$/.test(entry.fileName)) continue;
      for await (const chunk of (await zip.openReadStreamPromise(entry)) as AsyncIterable<Buffer>)
        text += chunk;
    }
  } finally {
    zip.close();
  }
  return text;
}

const cellText = (value: ExcelJS.CellValue): string =>
  value && typeof value === 'object' && 'richText' in value
    ? value.richText.map((run) => run.text).join('')
    : String(value ?? '');

describe('the review notice round trip (issue #18)', () => {
  let fx: WarehouseFixture;
  let reference: WarehouseFixture;
  let env: NodeJS.ProcessEnv;
  const csv = (name: string, rows: string[][]) => {
    const file = path.join(fx.scratch, name);
    writeFileSync(file, toCsv(PENALTY_HEADER, rows));
    return file;
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('notice_round_trip');
    reference = await openWarehouseFixture('notice_round_trip_reference');
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'credit-etl.log'),
      CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
    };
  }, 120_000);
  afterAll(async () => {
    await fx?.close();
    await reference?.close();
  });

  it('closes the notice with only the flagged cells fixed, and changes nothing else', async () => {
    await fx.ingest([csv('province.csv', [provinceRow])], { provider: PROVINCE });
    const delivery = await fx.ingest([csv('city.csv', Object.values(cityRows))], {
      provider: CITY,
      level: 'city',
    });
    expect(delivery.counts).toMatchObject({ read: 6, inserted: 1, conflict: 1, rejected: 4 });
    const before = await storedRecords(fx.warehouse);

    const notice = path.join(fx.scratch, 'notice.xlsx');
    const issued = await runCli(
      [
        'report',
        'notice',
        '--provider',
        CITY,
        '--run',
        String(delivery.runId),
        '--template-unmasked',
        '--reason',
        '重报模板回传提供单位',
        '--out',
        notice,
      ],
      env,
    );
    expect(issued.code).toBe(0);
    expect(issued.stdout).toContain('notice 1: 5 row(s)');

    // Typed cells (issue #18, 1): text is an inline or shared string, never a formula, and carries no apostrophe;
    // numbers are numbers. Only the CSV report keeps the apostrophe guard, as a CSV cell has no type.
    const rejections = path.join(fx.scratch, 'rejections.xlsx');
    const rejectionsCsv = path.join(fx.scratch, 'rejections.csv');
    for (const file of [rejections, rejectionsCsv]) {
      const report = ['report', 'rejections', '--run', String(delivery.runId), '--out', file];
      expect((await runCli(report, env)).code).toBe(0);
    }
    for (const file of [notice, rejections]) {
      const sheets = await sheetXml(file);
      expect(sheets).not.toMatch(/<f[ >]/);
      expect(sheets).not.toMatch(/t="str"/);
      expect(sheets).not.toMatch(/<t[^>]*>'/);
      expect([...sheets.matchAll(/<c [^>]*?t="(\w+)"/g)].map((match) => match[1])).toEqual(
        expect.not.arrayContaining(['str', 'e', 'b']),
      );
      expect(sheets).toContain('<t>+当事人多次违法</t>');
      expect(sheets).toContain('<t>=1+1</t>');
    }
    expect(await sheetXml(rejections)).toMatch(/<c r="B\d+"[^>]*><v>6<\/v><\/c>/);
    const csvText = readFileSync(rejectionsCsv, 'utf8');
    expect(csvText).toContain(",'+当事人多次违法,");
    expect(csvText).toContain(",'=1+1");

    // The provider's script: open the workbook, fix the flagged cells it has a fix for, save it under a new name.
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(notice);
    const template = book.getWorksheet('重报模板-行政处罚')!;
    const titles = (template.getRow(1).values as ExcelJS.CellValue[]).slice(1).map(cellText);
    const flagged: string[] = [];
    template.eachRow((templateRow, rowNumber) => {
      if (rowNumber === 1) return;
      const number =
        /〔2026〕(\d+)号/.exec(
          cellText(templateRow.getCell(titles.indexOf('行政处罚决定书文号') + 1).value),
        )?.[1] ?? '';
      templateRow.eachCell({ includeEmpty: true }, (cell, column) => {
        if (!cell.note) return;
        const title = titles[column - 1]!;
        flagged.push(`${number}:${title}`);
        if (FIXES[number]?.[title] !== undefined) cell.value = FIXES[number][title] as ExcelJS.CellValue;
      });
    });
    // One row per key: the conflict and its in-file duplicate are one row, the differing 备注 and the duplicate marked.
    expect(template.rowCount).toBe(5);
    expect(flagged.sort()).toEqual(
      [
        '1:行政相对人名称',
        '1:处罚内容',
        '1:备注',
        '5:行政相对人代码_1(统一社会信用代码)',
        '6:罚款金额（万元）',
        '7:处罚决定日期',
      ].sort(),
    );
    const returned = path.join(fx.scratch, 'notice-returned.xlsx');
    await book.xlsx.writeFile(returned);

    const ingest = await runCli(
      ['ingest', '--catalog', 'xzcf', '--provider', CITY, '--level', 'city', '--json', returned],
      env,
    );
    expect(ingest.code).toBe(0);
    const summary = JSON.parse(ingest.stdout) as { counts: Record<string, number> };
    expect(summary.counts).toMatchObject({ read: 4, inserted: 3, merged: 1, rejected: 0 });
    expect((await noticeStates(fx.warehouse, { noticeId: 1 }))[0]).toMatchObject({
      status: 'closed',
      corrected: 5,
      rows: 5,
    });

    const after = await storedRecords(fx.warehouse);
    // What was there before is untouched: the province's version stays current, the good row keeps its version.
    for (const record of before) expect(after).toContainEqual(record);
    const values = after.flatMap((record) => Object.values(record.data).map(String));
    expect(values.filter((value) => value.startsWith("'"))).toEqual([]);
    expect(values).toEqual(expect.arrayContaining(['-', '+当事人多次违法', '=1+1', PERSON, '2026-02-27']));

    // And the warehouse holds what the intended file gives, record for record.
    await reference.ingest([path.join(fx.scratch, 'province.csv')], { provider: PROVINCE });
    const intendedFile = path.join(reference.scratch, 'intended.csv');
    writeFileSync(intendedFile, toCsv(PENALTY_HEADER, intended));
    await reference.ingest([intendedFile], { provider: CITY, level: 'city' });
    const expected = await storedRecords(reference.warehouse);
    const content = (records: StoredRecord[]) =>
      records.map(({ business_key, data }) => ({ business_key, data }));
    expect(content(after)).toEqual(content(expected));
  }, 300_000);
});
