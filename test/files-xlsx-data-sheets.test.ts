import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unitsForFile } from '../connectors/transports/archive-units.ts';
import { PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import { ingestDelivery } from './support/ingest-delivery.ts';
import { basePenalties } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');

interface Sheet {
  name: string;
  header: string[];
  rows: string[][];
}

/**
 * A provider's workbook with rows on two visible sheets, 一月 and 二月, one of them under the catalog's header with
 * a difference (a contact column added, a column name misspelt): the rows of the other sheet are the provider's
 * all the same, and reading one sheet alone would leave them out without a word.
 */
describe("an xlsx delivery whose second sheet has rows under a header close to the catalog's", () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(6, 41).map((row) => PENALTY_HEADER.map((title) => row[title] ?? ''));
  const withContact = (cells: string[][]) => cells.map((cells) => [...cells, '张三']);
  const misspelt = PENALTY_HEADER.map((title) => (title === '处罚内容' ? '处罚内容1' : title));

  beforeAll(async () => {
    fx = await openWarehouseFixture('files_xlsx_data_sheets');
  });
  afterAll(async () => fx?.close());

  async function workbook(name: string, sheets: Sheet[]): Promise<string> {
    const book = new ExcelJS.Workbook();
    for (const sheet of sheets) book.addWorksheet(sheet.name).addRows([sheet.header, ...sheet.rows]);
    const file = path.join(fx.scratch, name);
    await book.xlsx.writeFile(file);
    return file;
  }

  const records = async () => Number((await fx.warehouse('records').count('* as n').first())?.n);

  it.each([
    {
      label: 'a column added on the second sheet',
      sheets: [
        { name: '一月', header: [...PENALTY_HEADER], rows: rows.slice(0, 3) },
        { name: '二月', header: [...PENALTY_HEADER, '联系人'], rows: withContact(rows.slice(3)) },
      ],
      differs: '「二月」3 行（表头与目录相近但不一致：多出目录未定义的列：联系人）',
    },
    {
      label: 'a column added on the first sheet',
      sheets: [
        { name: '一月', header: [...PENALTY_HEADER, '联系人'], rows: withContact(rows.slice(0, 3)) },
        { name: '二月', header: [...PENALTY_HEADER], rows: rows.slice(3) },
      ],
      differs: '「一月」3 行（表头与目录相近但不一致：多出目录未定义的列：联系人）',
    },
    {
      label: 'a column name misspelt on the second sheet',
      sheets: [
        { name: '一月', header: [...PENALTY_HEADER], rows: rows.slice(0, 3) },
        { name: '二月', header: misspelt, rows: rows.slice(3) },
      ],
      differs: '「二月」3 行（表头与目录相近但不一致：多出目录未定义的列：处罚内容1；缺少必填列：处罚内容）',
    },
  ])(
    '$label: the file fails naming both sheets, their rows and what differs; nothing is loaded',
    async ({ label, sheets, differs }) => {
      const file = await workbook(`${label}.xlsx`, [
        { name: '填报说明', header: ['本表为行政处罚信息'], rows: [['联系人：张三']] },
        ...sheets,
      ]);
      const before = await records();
      const summary = await ingestDelivery(fx, await unitsForFile(file, RECEIVED));
      expect(summary.files.map((one) => [one.status, one.error?.code])).toEqual([
        ['failed', 'multiple-data-sheets'],
      ]);
      const message = summary.files[0]?.error?.message ?? '';
      expect(message).toContain(
        '工作簿中有 2 个工作表「一月」「二月」的表头与目录相符或相近，数据行分别为：',
      );
      expect(message).toContain(differs);
      expect(message).toMatch(/「一月」3 行.*「二月」3 行/);
      expect(message).toContain('--sheet');
      expect(message).not.toContain('填报说明');
      expect(await records()).toBe(before);
    },
  );

  it('loads the sheet the operator names, the other left out on purpose', async () => {
    const file = await workbook('chosen.xlsx', [
      { name: '一月', header: [...PENALTY_HEADER], rows: rows.slice(0, 3) },
      { name: '二月', header: [...PENALTY_HEADER, '联系人'], rows: withContact(rows.slice(3)) },
    ]);
    const summary = await ingestDelivery(fx, await unitsForFile(file, RECEIVED), { sheet: '一月' });
    expect(summary.files.map((one) => [one.status, one.counts.read])).toEqual([['loaded', 3]]);
  });

  it('still loads one data sheet beside a notes sheet, a code table and an empty template with a contact column', async () => {
    const file = await workbook('one-sheet.xlsx', [
      { name: '填报说明', header: ['本表为行政处罚信息'], rows: [['联系人：张三']] },
      { name: '代码表', header: ['代码', '名称'], rows: [['1', '警告']] },
      { name: '模板', header: [...PENALTY_HEADER, '联系人'], rows: [] },
      { name: '数据', header: [...PENALTY_HEADER], rows: rows.slice(3) },
    ]);
    const summary = await ingestDelivery(fx, await unitsForFile(file, RECEIVED));
    expect(summary.files.map((one) => [one.status, one.counts.read, one.error?.code])).toEqual([
      ['loaded', 3, undefined],
    ]);
  });
});
