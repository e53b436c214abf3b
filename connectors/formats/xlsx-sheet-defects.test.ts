import { describe, expect, it } from 'vitest';
import { readAll } from './read-all.test-support.ts';
import { workbookWithSheetData } from './sheet-data-workbook.test-support.ts';
import { xlsxFormat } from './xlsx-format.ts';

/**
 * Sheets whose XML parses but that Excel never writes, crafted as a hostile or broken exporter would: rows stored
 * twice or out of order, a cell written twice in a row, a shared string that is not in the table. exceljs reads
 * each without a word (both rows, the last value, a blank): the file fails as a broken workbook, naming where.
 */
// The shared strings the rows below point to (`t="s"`): 0 处罚机关, 1 备注, 2 甲, 3 乙.
const sheetWith = (sheetData: string) => workbookWithSheetData(sheetData, ['处罚机关', '备注', '甲', '乙']);

const shared = (ref: string, index: number | string) => `<c r="${ref}" t="s"><v>${index}</v></c>`;
const row = (r: number | undefined, cells: string) =>
  `<row${r === undefined ? '' : ` r="${r}"`}>${cells}</row>`;
const header = row(1, shared('A1', 0) + shared('B1', 1));
const data = (r: number, a = 2, b = 3) => row(r, shared(`A${r}`, a) + shared(`B${r}`, b));
const SHEET = '文件不是有效的 Excel 工作簿（.xlsx）：工作表「处罚」（xl/worksheets/sheet1.xml）中';

const fails = async (sheetData: string, what: string) => {
  const failure = readAll(xlsxFormat, await sheetWith(sheetData));
  await expect(failure).rejects.toMatchObject({
    code: 'not-a-workbook',
    message: expect.stringContaining(`${SHEET}${what}`),
  });
  await expect(failure).rejects.toThrow(/整个文件未入库/);
};

describe('row numbers that do not strictly increase', () => {
  it('reads rows in order, gaps counted as blank lines', async () => {
    const { rows, blankLines } = await readAll(xlsxFormat, await sheetWith(header + data(2) + data(5)));
    expect(rows.map((read) => [read.rowNumber, ...read.cells])).toEqual([
      [2, '甲', '乙'],
      [5, '甲', '乙'],
    ]);
    expect(blankLines).toBe(2);
  });

  it('fails a sheet with two rows of one number (exceljs hands over both)', async () => {
    await fails(header + data(2) + data(2, 3, 2) + data(3), '第2行的行号重复：有两行都标为第2行');
  });

  it('fails rows out of order (the gap between them would count backwards)', async () => {
    await fails(header + data(2) + data(4) + data(3), '第3行的行号倒序：排在第4行之后');
  });

  it('fails a row numbered above the header but stored after it (it would load as data)', async () => {
    await fails(
      row(5, shared('A5', 0) + shared('B5', 1)) + data(6) + data(2) + data(7),
      '第2行的行号倒序：排在第6行之后',
    );
  });

  it('reads past an empty row without a number, as before (exceljs fails one with cells itself)', async () => {
    const { rows } = await readAll(xlsxFormat, await sheetWith(`${header + data(2)}<row></row>${data(3)}`));
    expect(rows.map((read) => read.rowNumber)).toEqual([2, 3]);
  });

  it('fails a row whose number is empty, not a number or negative, naming where it is (exceljs failed it unplaced)', async () => {
    const cells = shared('A3', 2) + shared('B3', 3);
    await fails(
      `${header + data(2)}<row r="">${cells}</row>`,
      '第2行之后的一行行号为空（行号应为从 1 开始的整数）',
    );
    await fails(
      `${header}<row r="abc">${cells}</row>`,
      '第1行之后的一行行号为「abc」（行号应为从 1 开始的整数）',
    );
    await fails(`<row r="-1"><c t="s"><v>0</v></c></row>${header}`, '第一行行号为「-1」');
    // Without a cell it holds nothing to place, and is read past as before.
    const { rows } = await readAll(
      xlsxFormat,
      await sheetWith(`${header + data(2)}<row r="abc"/>${data(3)}`),
    );
    expect(rows.map((read) => read.rowNumber)).toEqual([2, 3]);
  });

  it('fails it past the first batch of rows too, checked while streaming', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => data(i + 2)).join('');
    await fails(header + rows + data(1000), '第1000行的行号倒序：排在第2501行之后');
  });
});

describe('cells that are not in the sheet as exceljs reads it', () => {
  it('fails a shared string past the end of the table, naming the cell and the index', async () => {
    await fails(
      header + data(2) + row(3, shared('A3', 2) + shared('B3', 999999)),
      '单元格 B3 引用的共享字符串 999999 不存在（共享字符串表只有 4 个字符串），该单元格的内容无法读取',
    );
  });

  it('fails one a chunk of the table away, which used to read a string of the table', async () => {
    // 4096 strings to a chunk: 4098 would have read string 2 (甲).
    await fails(header + row(2, shared('A2', 4098)), '单元格 A2 引用的共享字符串 4098 不存在');
  });

  it('fails a cell written twice in one row, naming it (exceljs keeps the last value)', async () => {
    await fails(
      header + data(2) + row(3, shared('A3', 2) + shared('B3', 2) + shared('B3', 3)),
      '单元格 B3 出现了两次',
    );
  });

  it('fails it when the first of the two is a long inline cell cut by the stream’s chunks', async () => {
    const long = `<c r="A2" t="inlineStr"><is><r><t>${'长'.repeat(100_000)}</t></r></is></c>`;
    await fails(header + row(2, long + shared('B2', 3) + shared('A2', 2)), '单元格 A2 出现了两次');
  });

  it('reads the same columns in other rows, and long inline cells cut by chunks, as they are', async () => {
    const long = (ref: string) =>
      `<c r="${ref}" t="inlineStr"><is><r><t>${'长'.repeat(100_000)}</t></r></is></c>`;
    const { rows } = await readAll(
      xlsxFormat,
      await sheetWith(header + row(2, long('A2') + shared('B2', 3)) + row(3, shared('A3', 2) + long('B3'))),
    );
    expect(rows.map((read) => read.cells.map((cell) => cell.slice(0, 2)))).toEqual([
      ['长长', '乙'],
      ['甲', '长长'],
    ]);
  });
});
