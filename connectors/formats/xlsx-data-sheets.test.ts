import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { readAll } from './read-all.test-support.ts';
import { xlsxFormat } from './xlsx-format.ts';

/**
 * A workbook whose rows are on several sheets that each fit the catalog (一月, 二月), visible or hidden: reading
 * only the first would leave the others out silently. Nothing is lost: the file fails, unless a sheet was chosen.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'xlsx-data-sheets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER = ['处罚名称', '代码'];
const fits = (header: readonly string[]) => header.join() === HEADER.join();
/** A header of the entry with a column too many or misspelt: close, naming the odd column. */
const near = (header: readonly string[]) => {
  const odd = header.filter((name) => !HEADER.includes(name));
  return header.includes('处罚名称') && odd.length > 0 ? `多出 ${odd.join('、')}` : undefined;
};

async function workbook(name: string, build: (book: ExcelJS.Workbook) => void): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  build(book);
  const file = path.join(dir, name);
  await book.xlsx.writeFile(file);
  return readFileSync(file);
}

function dataSheet(book: ExcelJS.Workbook, name: string, rows: string[][]): ExcelJS.Worksheet {
  const sheet = book.addWorksheet(name);
  sheet.addRows([HEADER, ...rows]);
  return sheet;
}

describe('rows on more than one sheet that fits the catalog', () => {
  it('fails the file naming the sheets, after reading every sheet, unless one was chosen', async () => {
    const bytes = await workbook('months.xlsx', (book) => {
      book.addWorksheet('填报说明').addRows([['本表为行政处罚信息'], ['联系人：张三']]);
      dataSheet(book, '一月', [['甲', '1']]);
      dataSheet(book, '二月', [['乙', '2']]);
      dataSheet(book, '三月', [['丙', '3']]);
    });
    await expect(readAll(xlsxFormat, bytes, { headerFits: fits })).rejects.toMatchObject({
      code: 'multiple-data-sheets',
      message: expect.stringContaining(
        '工作簿中有 3 个工作表「一月」「二月」「三月」的表头都与目录相符，数据行分别为：「一月」1 行，「二月」1 行，「三月」1 行',
      ),
    });
    const chosen = await readAll(xlsxFormat, bytes, { headerFits: fits, sheet: '二月' });
    expect(chosen.rows.map((row) => row.cells)).toEqual([['乙', '2']]);
    const numbered = await readAll(xlsxFormat, bytes, { headerFits: fits, sheet: 4 });
    expect(numbered.rows.map((row) => row.cells)).toEqual([['丙', '3']]);
  });

  it('reads the one data sheet past hidden lookup lists and notes sheets before and after it', async () => {
    const bytes = await workbook('one-data-sheet.xlsx', (book) => {
      // The lists behind a drop-down: hidden, with data, under a header that is not the entry's.
      book.addWorksheet('代码表', { state: 'hidden' }).addRows([
        ['代码', '名称'],
        ['1', '警告'],
        ['2', '罚款'],
      ]);
      book.addWorksheet('封面').addRows([['2026年行政处罚信息']]);
      dataSheet(book, '数据', [
        ['甲', '1'],
        ['乙', '2'],
      ]);
      book.addWorksheet('说明').addRows([
        ['字段', '说明'],
        ['代码', '统一社会信用代码'],
      ]);
      book.addWorksheet('区划', { state: 'veryHidden' }).addRows([['区划代码'], ['370100']]);
      // Hidden and wider than a row may be: never read for rows, it fails nothing.
      book.addWorksheet('宽表', { state: 'hidden' }).getRow(1).getCell(20).value = '很远的格子';
    });
    const read = await readAll(xlsxFormat, bytes, { headerFits: fits, limits: { maxCellsPerRow: 10 } });
    expect(read.rows.map((row) => row.cells)).toEqual([
      ['甲', '1'],
      ['乙', '2'],
    ]);
  });

  it('fails the file for a hidden sheet whose header fits, before or after the one read, naming it and its rows', async () => {
    const bytes = await workbook('hidden-data.xlsx', (book) => {
      dataSheet(book, '旧数据', [
        ['旧', '0'],
        ['老', '9'],
      ]).state = 'hidden';
      dataSheet(book, '数据', [['甲', '1']]);
      dataSheet(book, '备份', [['丙', '3']]).state = 'veryHidden';
    });
    await expect(readAll(xlsxFormat, bytes, { headerFits: fits })).rejects.toMatchObject({
      code: 'multiple-data-sheets',
      message: expect.stringContaining(
        '工作簿中有 3 个工作表「旧数据」「数据」「备份」的表头都与目录相符，数据行分别为：「旧数据」2 行，「数据」1 行，「备份」1 行（其中「旧数据」是隐藏的工作表，有 2 行；「备份」是隐藏的工作表，有 1 行',
      ),
    });
    // Chosen by name, the visible sheet is read alone, as with visible sheets.
    const chosen = await readAll(xlsxFormat, bytes, { headerFits: fits, sheet: '数据' });
    expect(chosen.rows.map((row) => row.cells)).toEqual([['甲', '1']]);
  });

  it("fails the file for a sheet with rows under a header close to the entry's, before or after the one read", async () => {
    // 一月 with a column added (联系人), 二月 as the catalog has it, 三月 with a name misspelt (代码1).
    const bytes = await workbook('close-headers.xlsx', (book) => {
      book.addWorksheet('填报说明').addRows([['本表为行政处罚信息'], ['联系人：张三']]);
      book.addWorksheet('一月').addRows([
        [...HEADER, '联系人'],
        ['甲', '1', '张三'],
        ['乙', '2', '张三'],
      ]);
      dataSheet(book, '二月', [['丙', '3']]);
      book.addWorksheet('三月').addRows([
        ['处罚名称', '代码1'],
        ['丁', '4'],
      ]);
    });
    const rejected = await readAll(xlsxFormat, bytes, { headerFits: fits, headerNear: near }).catch(
      (error: unknown) => error,
    );
    expect(rejected).toMatchObject({ code: 'multiple-data-sheets' });
    expect((rejected as Error).message).toContain(
      '工作簿中有 3 个工作表「一月」「二月」「三月」的表头与目录相符或相近，数据行分别为：' +
        '「一月」2 行（表头与目录相近但不一致：多出 联系人），「二月」1 行，「三月」1 行（表头与目录相近但不一致：多出 代码1）',
    );
    expect((rejected as Error).message).toContain('--sheet');
    // Chosen, the sheet is read alone.
    const chosen = await readAll(xlsxFormat, bytes, { headerFits: fits, headerNear: near, sheet: '二月' });
    expect(chosen.rows.map((row) => row.cells)).toEqual([['丙', '3']]);
  });

  it('passes over a close header without rows, and one no data sheet has; reads a close sheet when none fits', async () => {
    const bytes = await workbook('close-empty.xlsx', (book) => {
      book.addWorksheet('代码表').addRows([
        ['代码', '名称'],
        ['1', '警告'],
      ]);
      book.addWorksheet('模板').addRows([[...HEADER, '联系人']]);
      dataSheet(book, '数据', [['甲', '1']]);
    });
    const read = await readAll(xlsxFormat, bytes, { headerFits: fits, headerNear: near });
    expect(read.rows.map((row) => row.cells)).toEqual([['甲', '1']]);
    // No sheet fits: the close sheet with rows is read (its header problems fail the unit), not the code table.
    const typo = await workbook('close-only.xlsx', (book) => {
      book.addWorksheet('代码表').addRows([
        ['代码', '名称'],
        ['1', '警告'],
      ]);
      book.addWorksheet('数据').addRows([
        ['处罚名称1', '代码'],
        ['甲', '1'],
      ]);
    });
    const closest = await readAll(xlsxFormat, typo, {
      headerFits: fits,
      headerNear: (header) => (header.includes('处罚名称1') ? '多出 处罚名称1' : undefined),
    });
    expect(closest.header).toEqual(['处罚名称1', '代码']);
  });

  it('takes a sheet after the data sheet whose --header-row is blank for no data sheet', async () => {
    const bytes = await workbook('header-row.xlsx', (book) => {
      book.addWorksheet('数据').addRows([['2026年汇总'], HEADER, ['甲', '1']]);
      book.addWorksheet('说明').addRows([['只有一行说明']]);
    });
    const read = await readAll(xlsxFormat, bytes, { headerFits: fits, headerRow: 2 });
    expect(read.rows.map((row) => row.cells)).toEqual([['甲', '1']]);
  });
});
