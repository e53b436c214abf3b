import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import { basePenalties } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/** After the current layout (xzcf v3) took effect: the 2016 layout (v2, v0) is still a version of the entry. */
const RECEIVED = new Date('2026-12-06T10:00:00+08:00');

interface Sheet {
  name: string;
  rows: string[][];
  state?: 'hidden' | 'veryHidden';
}

/**
 * Review findings on workbooks: rows on a visible sheet without a header (a continuation sheet: an export split at
 * 65,536 rows, rows a clerk pasted into Sheet2) were left out while the file loaded "completed"; a hidden sheet
 * with the first 14 columns of the current layout was said to have "columns the catalog does not define", its
 * header told against the 2016 layout.
 */
describe('an xlsx delivery with rows beside its data sheet', () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(6, 57).map((row) => PENALTY_HEADER.map((title) => row[title] ?? ''));

  beforeAll(async () => {
    fx = await openWarehouseFixture('xlsx_continuation_sheet');
  });
  afterAll(async () => fx?.close());

  async function workbook(name: string, sheets: Sheet[]): Promise<string> {
    const book = new ExcelJS.Workbook();
    for (const sheet of sheets) {
      const added = book.addWorksheet(sheet.name, sheet.state ? { state: sheet.state } : {});
      added.addRows(sheet.rows);
    }
    const file = path.join(fx.scratch, name);
    await book.xlsx.writeFile(file);
    return file;
  }

  const records = async () => Number((await fx.warehouse('records').count('* as n').first())?.n);

  it('refuses a file whose Sheet2 holds rows without a header, naming the sheet and its rows; nothing is loaded', async () => {
    const file = await workbook('continued.xlsx', [
      { name: '处罚', rows: [[...PENALTY_HEADER], ...rows.slice(0, 3)] },
      { name: 'Sheet2', rows: rows.slice(3) },
    ]);
    const before = await records();
    const summary = await fx.ingest([file], { receivedAt: RECEIVED });
    expect(summary.files.map((one) => [one.status, one.counts.read, one.error?.code])).toEqual([
      ['failed', 0, 'data-sheet-without-header'],
    ]);
    const message = summary.files[0]?.error?.message ?? '';
    expect(message).toContain('工作表「Sheet2」有 3 行数据，但没有表头');
    expect(message).toContain('请把这些行移到「处罚」表中');
    expect(await records()).toBe(before);
  });

  it('loads the data sheet beside a notes sheet and a code table', async () => {
    const file = await workbook('notes.xlsx', [
      { name: '填报说明', rows: [['一、本表为行政处罚信息'], ['二、处罚决定日期格式为 2026-10-12']] },
      {
        name: '代码表',
        rows: [
          ['法人及非法人组织', '1', '统一社会信用代码 913701020000050122'],
          ['自然人', '2', '身份证'],
        ],
      },
      { name: '处罚', rows: [[...PENALTY_HEADER], ...rows.slice(0, 3)] },
    ]);
    const summary = await fx.ingest([file], { receivedAt: RECEIVED });
    expect(summary.files.map((one) => [one.status, one.counts.read, one.error?.code])).toEqual([
      ['loaded', 3, undefined],
    ]);
  });

  it("names what a hidden sheet of the current layout's first 14 columns lacks, not columns it has as unknown", async () => {
    const cut = PENALTY_HEADER.slice(0, 14);
    expect(cut.at(-1)).toBe('行政处罚决定书文号');
    const file = await workbook('hidden-cut.xlsx', [
      { name: '说明', rows: [['填报说明：……']] },
      { name: '处罚', rows: [[...PENALTY_HEADER], ...rows.slice(0, 3)] },
      {
        name: '旧数据',
        state: 'hidden',
        rows: [cut, ...rows.slice(3, 5).map((cells) => cells.slice(0, 14))],
      },
    ]);
    const summary = await fx.ingest([file], { receivedAt: RECEIVED });
    expect(summary.files.map((one) => [one.status, one.error?.code])).toEqual([
      ['failed', 'multiple-data-sheets'],
    ]);
    const message = summary.files[0]?.error?.message ?? '';
    expect(message).toContain(
      '「旧数据」2 行（表头与目录相近但不一致：缺少必填列：违法行为类型、违法事实、处罚依据、处罚类别、处罚内容、处罚决定日期',
    );
    expect(message).not.toContain('多出目录未定义的列');
    expect(message).not.toContain('处罚名称');
  });
});
