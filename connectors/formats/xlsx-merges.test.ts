import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { problems, readAll } from './read-all.test-support.ts';
import { xlsxFormat } from './xlsx-format.ts';
import { parseRange } from './xlsx-merges.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'xlsx-merges-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function workbook(name: string, build: (sheet: ExcelJS.Worksheet) => void): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  build(book.addWorksheet('处罚'));
  const file = path.join(dir, name);
  await book.xlsx.writeFile(file);
  return readFileSync(file);
}

describe('merged cells read as Excel shows them', () => {
  it('parses merge references, ignoring single cells', () => {
    expect(parseRange('A5:A9')).toEqual({ ref: 'A5:A9', top: 5, bottom: 9, left: 0, right: 0 });
    expect(parseRange('$AA$2:$AB$3')).toMatchObject({ top: 2, bottom: 3, left: 26, right: 27 });
    expect(parseRange('C3')).toBeUndefined();
    expect(parseRange('C3:C3')).toBeUndefined();
  });

  it('fills cells under a vertical merge over data rows with its top-left value, dates and numbers alike', async () => {
    const bytes = await workbook('vertical.xlsx', (sheet) => {
      sheet.addRow(['2026年行政处罚信息']);
      sheet.mergeCells('A1:E1');
      sheet.addRow(['处罚机关', '文书号', '决定日期', '金额', '备注']);
      sheet.addRow(['甲局', '罚〔2026〕1号', new Date(Date.UTC(2026, 2, 5)), 1.5, 'x']);
      sheet.addRow([null, '罚〔2026〕2号', null, null, 'y']);
      sheet.addRow([null, '罚〔2026〕3号', null, 2, 'z']);
      sheet.addRow(['乙局', '罚〔2026〕4号', '2026-03-07', 3]);
      sheet.addRow([]);
      sheet.addRow(['丙局', '罚〔2026〕5号', '2026-03-08', 4]);
      sheet.mergeCells('A3:A5');
      sheet.mergeCells('C3:C5');
      sheet.mergeCells('D3:D4');
      // A merge reaching into a row that has nothing of its own: the row stays blank.
      sheet.mergeCells('A6:A7');
    });
    const { header, rows, blankLines } = await readAll(xlsxFormat, bytes);
    expect(header).toEqual(['处罚机关', '文书号', '决定日期', '金额', '备注']);
    expect(rows.map((row) => [row.rowNumber, row.cells])).toEqual([
      [3, ['甲局', '罚〔2026〕1号', '2026-03-05', '1.5', 'x']],
      [4, ['甲局', '罚〔2026〕2号', '2026-03-05', '1.5', 'y']],
      [5, ['甲局', '罚〔2026〕3号', '2026-03-05', '2', 'z']],
      [6, ['乙局', '罚〔2026〕4号', '2026-03-07', '3', '']],
      [8, ['丙局', '罚〔2026〕5号', '2026-03-08', '4', '']],
    ]);
    // A number merged down stays a number in every row it covers (a code stored so is still rejected).
    expect(rows.map((row) => row.numberCells)).toEqual([[3], [3], [3], [3], [3]]);
    expect(problems(rows)).toEqual([]);
    expect(blankLines).toBe(1);
  });

  it('takes a two-row header by its lower row, with the cell merged down over both naming its column', async () => {
    const bytes = await workbook('two-row-header.xlsx', (sheet) => {
      sheet.addRow(['序号', '处罚决定']);
      sheet.addRow([null, '文书号', '决定日期']);
      sheet.addRow([1, '罚〔2026〕1号', '2026-03-05']);
      sheet.mergeCells('A1:A2');
      sheet.mergeCells('B1:C1');
    });
    const { header, rows } = await readAll(xlsxFormat, bytes);
    expect(header).toEqual(['序号', '文书号', '决定日期']);
    expect(rows.map((row) => [row.rowNumber, row.cells])).toEqual([
      [3, ['1', '罚〔2026〕1号', '2026-03-05']],
    ]);
  });

  it('reads a header merged across two columns as one column, and rejects a row with content under the other', async () => {
    const bytes = await workbook('header-across.xlsx', (sheet) => {
      sheet.addRow(['名称', '代码', '备注']);
      sheet.addRow(['甲', '1', '说明']);
      sheet.addRow(['乙', '', 'x', 'y']);
      sheet.addRow(['丙', '3']);
      sheet.mergeCells('C1:D1');
      sheet.mergeCells('C2:D2');
    });
    const { header, rows } = await readAll(xlsxFormat, bytes);
    expect(header).toEqual(['名称', '代码', '备注', '']);
    expect(rows.map((row) => [row.rowNumber, row.cells])).toEqual([
      [2, ['甲', '1', '说明', '']],
      [3, ['乙', '', 'x', '']],
      [4, ['丙', '3', '', '']],
    ]);
    expect(problems(rows)).toEqual([[3, 'field-count']]);
    expect(rows[1]?.problem?.message).toBe(
      '第3行第D列有内容，但该列表头与C列合并为「备注」（C1:D1），没有自己的列名：请取消表头合并并填写该列列名，或删除该列内容',
    );
    expect(rows[1]?.problem?.value).toBe('y');
  });

  it('finds every merge of a 20,000-row sheet, however the streamed XML is cut', async () => {
    const file = path.join(dir, 'many.xlsx');
    const book = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: true });
    const sheet = book.addWorksheet('处罚');
    sheet.addRow(['处罚机关', '文书号']).commit();
    for (let i = 0; i < 20_000; i++) {
      const row = sheet.addRow([i % 10 === 0 ? `机关${i / 10}` : null, `罚〔2026〕${i + 1}号`]);
      // The streaming writer merges only rows not yet committed: a block of ten at a time.
      if (i % 10 !== 9) continue;
      sheet.mergeCells(i - 7, 1, i + 2, 1);
      row.commit();
    }
    sheet.commit();
    await book.commit();
    const { rows } = await readAll(xlsxFormat, readFileSync(file));
    expect(rows).toHaveLength(20_000);
    const wrong = rows.filter((row, i) => row.cells[0] !== `机关${Math.floor(i / 10)}`);
    expect(wrong).toEqual([]);
  });

  it('fails a file that is not a workbook as a file error', async () => {
    await expect(readAll(xlsxFormat, Buffer.from('名称,代码\n甲,1\n'))).rejects.toMatchObject({
      code: 'not-a-workbook',
    });
  });
});
