import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { readAll } from './read-all.test-support.ts';
import { xlsxFormat } from './xlsx-format.ts';
import { repackWorkbook } from './xlsx-repack.test-support.ts';

/**
 * A workbook whose data sheet has the header, and another visible sheet rows of the same table without one (an
 * export split at 65,536 rows, rows a clerk pasted into Sheet2): reading the one sheet alone would leave those rows
 * out without a word. The file fails; notes sheets, code tables and sheets under a header of their own do not.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'xlsx-headerless-sheets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER = ['名称', '代码', '文号', '类别', '内容', '金额', '决定日期', '机关', '机关代码', '备注'];
const fits = (header: readonly string[]) => header.join() === HEADER.join();

/** A data row as the sheet has it: a code, a date, text; 备注 (optional) left empty. */
const row = (i: number) => [
  `公司${i}`,
  `91370102MA3C${String(i).padStart(5, '0')}X`,
  `济罚〔2026〕${i}号`,
  '罚款',
  '罚款人民币5000元',
  0.5,
  '2026-10-12',
  '济南市市场监督管理局',
  '11370100004300050X',
  '',
];

async function workbook(name: string, build: (book: ExcelJS.Workbook) => void): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  build(book);
  const file = path.join(dir, name);
  await book.xlsx.writeFile(file);
  return readFileSync(file);
}

const dataSheet = (book: ExcelJS.Workbook, name: string, from: number, to: number) =>
  book.addWorksheet(name).addRows([HEADER, ...range(from, to).map(row)]);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('rows on a visible sheet without a header', () => {
  it('fails the file for a continuation sheet after the data sheet, naming it and its rows; reads it when chosen', async () => {
    const bytes = await workbook('continued.xlsx', (book) => {
      book.addWorksheet('填报说明').addRows([['本表为行政处罚信息'], ['联系人：张三']]);
      dataSheet(book, '处罚', 1, 3);
      book.addWorksheet('Sheet2').addRows(range(4, 6).map(row));
    });
    const rejected = await readAll(xlsxFormat, bytes, { headerFits: fits }).catch((error: unknown) => error);
    expect(rejected).toMatchObject({ code: 'data-sheet-without-header' });
    const message = (rejected as Error).message;
    expect(message).toContain('工作表「Sheet2」有 3 行数据，但没有表头');
    expect(message).toContain('请把这些行移到「处罚」表中');
    expect(message).toContain('整个文件未入库');
    expect(message).not.toContain('填报说明');
    // Chosen, the data sheet is read alone, as with sheets that all have a header.
    const chosen = await readAll(xlsxFormat, bytes, { headerFits: fits, sheet: '处罚' });
    expect(chosen.rows).toHaveLength(3);
  });

  it('fails the file for one before the data sheet, counting rows above the one taken for its header', async () => {
    const bytes = await workbook('before.xlsx', (book) => {
      // Row 1 lacks 类别 and 内容: the fullest row (row 2) is taken for the header, row 1 is data all the same.
      const sheet = book.addWorksheet('粘贴');
      sheet.addRow(row(1).map((cell, i) => (i === 3 || i === 4 ? '' : cell)));
      sheet.addRows(range(2, 4).map(row));
      dataSheet(book, '处罚', 5, 6);
      book.addWorksheet('续表').addRows(range(7, 7).map(row));
    });
    await expect(readAll(xlsxFormat, bytes, { headerFits: fits })).rejects.toMatchObject({
      code: 'data-sheet-without-header',
      message: expect.stringContaining('工作表「粘贴」有 4 行数据，「续表」有 1 行数据，但都没有表头'),
    });
  });

  it('reads the data sheet beside notes, code tables, a field list, a summary under its own header and hidden lists', async () => {
    const bytes = await workbook('beside.xlsx', (book) => {
      book.addWorksheet('填报说明').addRows([
        ['一、本表为行政处罚信息', '2026年10月12日起施行'],
        ['二、统一社会信用代码为18位', '如 91370102MA3C00001X'],
      ]);
      book.addWorksheet('代码表').addRows([
        ['370100', '济南市', '市级'],
        ['370102', '历下区', '区县级'],
      ]);
      book.addWorksheet('字段说明').addRows([
        ['序号', '字段', '类型', '必填'],
        ['1', '名称', '文本', '是'],
        ['2', '代码', '文本（18位，如 913701020000050122）', '是'],
      ]);
      dataSheet(book, '处罚', 1, 3);
      // A summary under a header of its own, as wide as a data row: its header is no data.
      book.addWorksheet('汇总').addRows([
        ['机关', '1月', '2月', '3月', '4月', '5月', '6月', '合计'],
        ['济南市市场监督管理局', 1, 2, 3, 4, 5, 6, 21],
      ]);
      // Hidden sheets count by their header only (a drop-down's lists of codes are rows without a header).
      book.addWorksheet('列表', { state: 'hidden' }).addRows(range(8, 9).map(row));
    });
    const read = await readAll(xlsxFormat, bytes, { headerFits: fits });
    expect(read.rows.map((one) => one.cells[0])).toEqual(['公司1', '公司2', '公司3']);
  });

  it('still fails with multiple-data-sheets when another sheet has a header that fits', async () => {
    const bytes = await workbook('both.xlsx', (book) => {
      dataSheet(book, '一月', 1, 2);
      dataSheet(book, '二月', 3, 4);
      book.addWorksheet('Sheet3').addRows(range(5, 6).map(row));
    });
    await expect(readAll(xlsxFormat, bytes, { headerFits: fits })).rejects.toMatchObject({
      code: 'multiple-data-sheets',
    });
  });
});

describe('a shared string past the end of the table on a sheet read past', () => {
  /** `cell`'s shared string made index 999999, past the end of the table, in the sheet's part. */
  const broken = (bytes: Buffer, part: string, cell: string) =>
    repackWorkbook(bytes, {
      edit: (name, text) =>
        name === part
          ? text.replace(new RegExp(`(<c r="${cell}"[^>]*t="s"[^>]*><v>)\\d+`), '$1999999')
          : undefined,
    });

  it('fails the file below the first rows as in them, naming the sheet and the cell: it does not count as filled', async () => {
    const bytes = await workbook('past-the-table.xlsx', (book) => {
      dataSheet(book, '处罚', 1, 3);
      // Rows of the table without a header, past the first rows a sheet is read for its header (20).
      book.addWorksheet('Sheet2').addRows(range(4, 30).map(row));
    });
    // Read as it is, its rows fail the file for being the entry's without a header.
    await expect(readAll(xlsxFormat, bytes, { headerFits: fits })).rejects.toMatchObject({
      code: 'data-sheet-without-header',
    });
    for (const cell of ['C5', 'C25']) {
      const rejected = readAll(xlsxFormat, await broken(bytes, 'xl/worksheets/sheet2.xml', cell), {
        headerFits: fits,
      });
      await expect(rejected).rejects.toMatchObject({
        code: 'not-a-workbook',
        message: expect.stringContaining(
          `工作表「Sheet2」（xl/worksheets/sheet2.xml）中单元格 ${cell} 引用的共享字符串 999999 不存在`,
        ),
      });
    }
  });

  it('fails it on a notes sheet read past too, where it used to pass unread', async () => {
    const bytes = await workbook('notes-past-the-table.xlsx', (book) => {
      dataSheet(book, '处罚', 1, 3);
      book.addWorksheet('说明').addRows(range(1, 25).map((i) => [`第${i}条说明`]));
    });
    expect((await readAll(xlsxFormat, bytes, { headerFits: fits })).rows).toHaveLength(3);
    await expect(
      readAll(xlsxFormat, await broken(bytes, 'xl/worksheets/sheet2.xml', 'A24'), { headerFits: fits }),
    ).rejects.toMatchObject({
      code: 'not-a-workbook',
      message: expect.stringContaining('单元格 A24 引用的共享字符串 999999 不存在'),
    });
  });
});
