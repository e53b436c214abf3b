import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { FileFormatError } from '../contracts.ts';
import { problems, readAll } from './read-all.test-support.ts';
import { isDateFormat, numberText, serialToIsoDate } from './xlsx-cell-text.ts';
import { columnLetter, xlsxFormat } from './xlsx-format.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'xlsx-format-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function workbook(name: string, build: (book: ExcelJS.Workbook) => void): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  build(book);
  const file = path.join(dir, name);
  await book.xlsx.writeFile(file);
  const { readFile } = await import('node:fs/promises');
  return readFile(file);
}

describe('excel serial dates', () => {
  it('converts 1900-system serials, keeping the fictitious 1900-02-29 visible', () => {
    expect(serialToIsoDate(1, false)).toBe('1900-01-01');
    expect(serialToIsoDate(59, false)).toBe('1900-02-28');
    expect(serialToIsoDate(60, false)).toBe('1900-02-29');
    expect(serialToIsoDate(61, false)).toBe('1900-03-01');
    expect(serialToIsoDate(46086, false)).toBe('2026-03-05');
    expect(serialToIsoDate(46086.5, false)).toBe('2026-03-05 12:00:00');
  });

  it('converts 1904-system serials', () => {
    expect(serialToIsoDate(0, true)).toBe('1904-01-01');
    expect(serialToIsoDate(46086 - 1462, true)).toBe('2026-03-05');
  });

  it('shows numbers as Excel does: 15 significant digits, no exponent for long integers', () => {
    expect(numberText(0.1 + 0.2)).toBe('0.3');
    expect(numberText(913501000000000000)).toBe('913501000000000000');
    expect(numberText(Number('913701020000123456'))).toBe('913701020000123000');
    expect(numberText(1.5)).toBe('1.5');
  });

  it('tells a date format by the letters Excel reads as date parts, not the ones it shows literally', () => {
    const dates = ['yyyy-mm-dd', 'yyyy"年"m"月"d"日"', '[$-804]yyyy/m/d', '[DBNum1]m"月"d"日"', 'h:mm AM/PM'];
    const elapsed = ['[h]:mm:ss', '[mm]:ss', '[h]'];
    expect([...dates, ...elapsed].filter((format) => !isDateFormat(format))).toEqual([]);
    const numbers = [
      'General',
      '0.00',
      '#,##0"元"',
      '0.0\\h',
      '0_s',
      '0*s',
      '[Red]0;[Blue]-0',
      '[$USD]0',
      '@',
    ];
    expect(numbers.filter(isDateFormat)).toEqual([]);
    expect(isDateFormat(undefined)).toBe(false);
  });

  it('names columns as Excel does', () => {
    expect([0, 25, 26, 701].map(columnLetter)).toEqual(['A', 'Z', 'AA', 'ZZ']);
  });
});

describe('reading a workbook as providers fill it in', () => {
  it('skips hidden sheets and title rows, keeps Excel row numbers, marks number cells', async () => {
    const bytes = await workbook('messy.xlsx', (book) => {
      book.addWorksheet('填表说明', { state: 'hidden' }).addRow(['说明', '不要读', '这张表']);
      const sheet = book.addWorksheet('处罚');
      sheet.addRow(['2026年行政处罚信息汇总表']);
      sheet.mergeCells('A1:E1');
      sheet.addRow(['填报单位：某局', '', '', '日期：2026-03-06']);
      sheet.addRow(['名称', '代码', '决定日期', '金额', '备注', null, null]);
      sheet.addRow([
        '甲',
        913501000000000000,
        new Date(Date.UTC(2026, 2, 5)),
        { formula: 'B9*2', result: 4 },
      ]);
      const typed = sheet.addRow([
        '乙',
        '91350100M000100Y43',
        46086,
        { richText: [{ text: '1' }, { text: '.5' }] },
      ]);
      typed.getCell(3).numFmt = 'yyyy"年"m"月"d"日"';
      sheet.addRow(['丙', { text: 'x', hyperlink: 'http://example.test' }, '2026/3/5', 0.1 + 0.2]);
      sheet.getRow(9).values = ['丁', '', { formula: 'DATE(2026,3,5)', result: 46086 }, 1];
      sheet.getRow(9).getCell(3).numFmt = 'yyyy-mm-dd';
      sheet.getRow(10).values = ['戊', '', '', '', '', '', '表外的字'];
      sheet.getRow(12).values = [];
    });
    const { header, rows, blankLines } = await readAll(xlsxFormat, bytes);
    expect(header).toEqual(['名称', '代码', '决定日期', '金额', '备注']);
    expect(rows.map((row) => [row.rowNumber, row.cells])).toEqual([
      [4, ['甲', '913501000000000000', '2026-03-05', '4', '']],
      [5, ['乙', '91350100M000100Y43', '2026-03-05', '1.5', '']],
      [6, ['丙', 'x', '2026/3/5', '0.3', '']],
      [9, ['丁', '', '2026-03-05', '1', '']],
      [10, ['戊', '', '', '', '']],
    ]);
    expect(rows.map((row) => row.numberCells ?? [])).toEqual([[1, 3], [], [3], [3], []]);
    expect(problems(rows)).toEqual([[10, 'field-count']]);
    expect(rows[4]?.problem?.message).toContain('第G列');
    expect(blankLines).toBe(2);
  });

  it('reads the same ISO date from a 1904-system workbook', async () => {
    const bytes = await workbook('mac.xlsx', (book) => {
      book.properties.date1904 = true;
      const sheet = book.addWorksheet('Sheet1');
      sheet.addRow(['名称', '日期']);
      sheet.addRow(['甲', new Date(Date.UTC(2026, 2, 5))]);
    });
    const { rows } = await readAll(xlsxFormat, bytes);
    expect(rows[0]?.cells).toEqual(['甲', '2026-03-05']);
  });

  it('chooses a sheet by name or by index, and names the sheets when the choice is wrong', async () => {
    const bytes = await workbook('two.xlsx', (book) => {
      book.addWorksheet('空表');
      book.addWorksheet('许可').addRow(['许可名称']).commit();
      const second = book.addWorksheet('处罚');
      second.addRow(['处罚名称']);
      second.addRow(['x']);
    });
    expect((await readAll(xlsxFormat, bytes)).header).toEqual(['许可名称']);
    expect((await readAll(xlsxFormat, bytes, { sheet: '处罚' })).rows[0]?.cells).toEqual(['x']);
    expect((await readAll(xlsxFormat, bytes, { sheet: 3 })).header).toEqual(['处罚名称']);
    const wrong = readAll(xlsxFormat, bytes, { sheet: '不存在' });
    await expect(wrong).rejects.toBeInstanceOf(FileFormatError);
    await expect(wrong).rejects.toThrow('现有：空表、许可、处罚');
  });

  it('finds the sheet whose header fits, past a letter and a list; else reads the first sheet with data', async () => {
    const bytes = await workbook('notice.xlsx', (book) => {
      book.addWorksheet('复核通知').addRows([['公共信用信息复核通知'], ['脱敏说明', '已脱敏']]);
      book.addWorksheet('问题清单').addRows([
        ['序号', '类型', '错误代码'],
        [1, '拒收', 'x'],
      ]);
      book.addWorksheet('重报模板').addRows([
        ['处罚名称', '代码'],
        ['x', '1'],
        ['y', '2'],
      ]);
    });
    const fits = (header: readonly string[]) => header.includes('处罚名称');
    const template = await readAll(xlsxFormat, bytes, { headerFits: fits });
    expect(template.header).toEqual(['处罚名称', '代码']);
    expect(template.rows.map((row) => [row.rowNumber, ...row.cells])).toEqual([
      [2, 'x', '1'],
      [3, 'y', '2'],
    ]);
    const none = await readAll(xlsxFormat, bytes, { headerFits: () => false });
    expect(none.header).toEqual(['脱敏说明', '已脱敏']);
    expect((await readAll(xlsxFormat, bytes, { sheet: 2, headerFits: fits })).header).toEqual([
      '序号',
      '类型',
      '错误代码',
    ]);
  });

  it('takes an explicit header row', async () => {
    const bytes = await workbook('header.xlsx', (book) => {
      const sheet = book.addWorksheet('S');
      sheet.addRow(['a', 'b', 'c']);
      sheet.addRow(['名称', '代码']);
      sheet.addRow(['甲', '1']);
    });
    const { header, rows } = await readAll(xlsxFormat, bytes, { headerRow: 2 });
    expect(header).toEqual(['名称', '代码']);
    expect(rows.map((row) => row.rowNumber)).toEqual([3]);
  });

  it('copies no sheet aside: nothing in the temp folder while open, nor after reading or closing', async () => {
    const bytes = await workbook('temp.xlsx', (book) => {
      book.addWorksheet('处罚').addRows([['名称'], ['甲']]);
      book.addWorksheet('说明').addRows([['不读']]);
    });
    // exceljs' own reader named its copies tmp-<pid>-…; each test file runs in a process of its own.
    const left = () => readdirSync(os.tmpdir()).filter((name) => name.startsWith(`tmp-${process.pid}-`));
    expect((await readAll(xlsxFormat, bytes)).rows).toHaveLength(1);
    const opened = await xlsxFormat.open(Readable.from([bytes]), { encoding: 'auto' });
    expect(left()).toEqual([]);
    opened.close?.();
    expect(left()).toEqual([]);
  });

  it('fails an empty workbook as a file error', async () => {
    const bytes = await workbook('empty.xlsx', (book) => {
      book.addWorksheet('S');
    });
    await expect(readAll(xlsxFormat, bytes)).rejects.toMatchObject({ code: 'empty-file' });
  });
});
