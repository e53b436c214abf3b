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
const fits = (header: readonly string[]) => header.includes('处罚名称');

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
      message: expect.stringContaining('工作簿中有 3 个工作表「一月」「二月」「三月」的表头都与目录相符'),
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
        '工作簿中有 3 个工作表「旧数据」「数据」「备份」的表头都与目录相符（其中「旧数据」是隐藏的工作表，有 2 行；「备份」是隐藏的工作表，有 1 行',
      ),
    });
    // Chosen by name, the visible sheet is read alone, as with visible sheets.
    const chosen = await readAll(xlsxFormat, bytes, { headerFits: fits, sheet: '数据' });
    expect(chosen.rows.map((row) => row.cells)).toEqual([['甲', '1']]);
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
