import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { readAll } from './read-all.test-support.ts';
import { decodeEscapes } from './xlsx-cell-text.ts';
import { xlsxFormat } from './xlsx-format.ts';
import { repackWorkbook } from './xlsx-repack.test-support.ts';

/**
 * What a cell holds besides text and numbers: Excel's error values, formulas with and without their saved result,
 * and text with `_xHHHH_` escapes, as Excel and other writers save them.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'xlsx-cell-values-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function workbook(name: string, rows: unknown[][], build?: (sheet: ExcelJS.Worksheet) => void) {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('处罚');
  sheet.addRow(['名称', '金额', '备注']);
  for (const row of rows) sheet.addRow(row);
  build?.(sheet);
  const file = path.join(dir, name);
  await book.xlsx.writeFile(file);
  return readFileSync(file);
}

const errorCells = (rows: Awaited<ReturnType<typeof readAll>>['rows']) =>
  rows.flatMap((row) =>
    (row.errorCells ?? []).map((cell) => [row.rowNumber, cell.index, cell.kind, cell.value]),
  );

describe('Excel error values and formulas', () => {
  it('marks error values, error results and formulas without a result; reads the results a formula saved', async () => {
    const bytes = await workbook('errors.xlsx', [
      ['甲', { error: '#N/A' }, '1'],
      [{ formula: 'VLOOKUP(A3,代码表!A:B,2,0)', result: { error: '#REF!' } }, 2, '2'],
      [{ formula: 'CONCAT("济南","公司")' }, 3, '3'],
      ['丁', { formula: 'B2*0', result: 0 }, { formula: 'IF(B2>0,"","无")', result: '' }],
      [{ formula: 'A2&"公司"', result: '甲公司' }, { formula: 'B2+1', result: 2 }, true],
      ['己', 6, { error: '#DIV/0!' }],
    ]);
    const { rows } = await readAll(xlsxFormat, bytes);
    expect(rows.map((row) => row.cells)).toEqual([
      ['甲', '#N/A', '1'],
      ['=VLOOKUP(A3,代码表!A:B,2,0)', '2', '2'],
      ['=CONCAT("济南","公司")', '3', '3'],
      // A result of 0 or an empty text is a result: exceljs' value left them out, as if there were none.
      ['丁', '0', ''],
      ['甲公司', '2', 'TRUE'],
      ['己', '6', '#DIV/0!'],
    ]);
    expect(errorCells(rows)).toEqual([
      [2, 1, 'error', '#N/A'],
      [3, 0, 'formula-error', '=VLOOKUP(A3,代码表!A:B,2,0)'],
      [4, 0, 'no-result', '=CONCAT("济南","公司")'],
      [7, 2, 'error', '#DIV/0!'],
    ]);
  });

  it('marks a shared formula whose result is an error, and every cell a merged error covers', async () => {
    const bytes = await workbook(
      'shared-and-merged.xlsx',
      [
        ['甲', 1, { formula: 'B2*2', result: 2, shareType: 'shared', ref: 'C2:C4' }],
        [{ error: '#N/A' }, 2, { sharedFormula: 'C2', result: 4 }],
        [null, 3, { sharedFormula: 'C2', result: { error: '#VALUE!' } }],
      ],
      (sheet) => sheet.mergeCells('A3:A4'),
    );
    const { rows } = await readAll(xlsxFormat, bytes);
    expect(rows.map((row) => row.cells)).toEqual([
      ['甲', '1', '2'],
      ['#N/A', '2', '4'],
      ['#N/A', '3', '=（共享公式）'],
    ]);
    expect(errorCells(rows)).toEqual([
      [3, 0, 'error', '#N/A'],
      [4, 0, 'error', '#N/A'],
      [4, 2, 'formula-error', '=（共享公式）'],
    ]);
  });
});

describe('text with _xHHHH_ escapes (ECMA-376 ST_Xstring)', () => {
  it('decodes them once, left to right, whatever the case of the hex digits', () => {
    expect(decodeEscapes('第一行_x000D_\n第二行')).toBe('第一行\r\n第二行');
    expect(decodeEscapes('罚〔2026〕_x0031_号')).toBe('罚〔2026〕1号');
    expect(decodeEscapes('_x005F_x0031_')).toBe('_x0031_');
    expect(decodeEscapes('含_x0000_空字符')).toBe('含\u0000空字符');
    expect(decodeEscapes('_x00e9_ _x00E9_')).toBe('é é');
    // Not escapes: a capital X, fewer than four digits, no closing underscore after the fourth.
    expect(decodeEscapes('_X0031_ _x31_ _x0031x_ x0031_')).toBe('_X0031_ _x31_ _x0031x_ x0031_');
    expect(decodeEscapes('普通文本')).toBe('普通文本');
  });

  it('decodes shared strings, plain and inline strings, and formula text results, header included', async () => {
    const shared = await workbook('shared.xlsx', [
      ['第一行_x000D_\n第二行', '罚〔2026〕_x0031_号', '见_x005F_x0031_条'],
      ['含_x0000_空字符', { formula: 'A2&"_x0032_"', result: '结果_x0032_' }, ''],
    ]);
    // The same cells written as other writers than Excel write them: inline strings (`<is>`), plain strings
    // (`t="str"`), and a header cell escaped too.
    const cell = (ref: string, text: string) => `<c r="${ref}" t="inlineStr"><is><t>${text}</t></is></c>`;
    const inline = await repackWorkbook(shared, {
      edit: (part, text) =>
        part !== 'xl/worksheets/sheet1.xml'
          ? undefined
          : text.replace(
              /<sheetData>.*<\/sheetData>/s,
              `<sheetData><row r="1">${cell('A1', '名_x0031_称')}${cell('B1', '金额')}${cell('C1', '备注')}</row>` +
                `<row r="2">${cell('A2', '第一行_x000D_\n第二行')}<c r="B2" t="str"><v>罚〔2026〕_x0031_号</v></c>` +
                `${cell('C2', '见_x005F_x0031_条')}</row><row r="3">${cell('A3', '含_x0000_空字符')}` +
                `<c r="B3" t="str"><f>A2&amp;"_x0032_"</f><v>结果_x0032_</v></c></row></sheetData>`,
            ),
    });
    for (const bytes of [shared, inline]) {
      const { header, rows } = await readAll(xlsxFormat, bytes);
      expect(header.slice(1)).toEqual(['金额', '备注']);
      expect(rows.map((row) => row.cells)).toEqual([
        ['第一行\r\n第二行', '罚〔2026〕1号', '见_x0031_条'],
        ['含\u0000空字符', '结果2', ''],
      ]);
    }
    expect((await readAll(xlsxFormat, inline)).header[0]).toBe('名1称');
  });
});
