import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unitsForFile } from '../connectors/transports/archive-units.ts';
import { generatePenalties, PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import { ingestDelivery } from './support/ingest-delivery.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
/** Columns of the penalty layout (0-based). */
const [NAME, NUMBER, FACTS, CONTENT, AUTHORITY, NOTE] = [0, 13, 15, 18, 25, 29];

/**
 * Ten penalties (data rows 2–11) whose cells hold what Excel saves besides plain text: error values, formulas
 * with an error result or none saved, and text with `_xHHHH_` escapes.
 */
async function writeWorkbook(file: string): Promise<string[][]> {
  const { rows } = generatePenalties(10, { badShare: 0, seed: 411 });
  const cells: unknown[][] = rows.map((row) => [...row]);
  const set = (i: number, column: number, value: unknown) => {
    (cells[i] as unknown[])[column] = value;
  };
  set(0, AUTHORITY, { error: '#N/A' });
  set(1, FACTS, { formula: 'VLOOKUP(A3,代码表!A:B,2,0)', result: { error: '#N/A' } });
  set(2, NAME, { formula: 'CONCAT("济南","公司")' });
  set(3, FACTS, '第一行_x000D_\n第二行');
  set(
    4,
    NUMBER,
    (rows[4]?.[NUMBER] ?? '').replace(/(\d+)号$/, (_all, n: string) => `_x003${n}_号`),
  );
  set(5, FACTS, '含_x0000_空字符');
  set(6, CONTENT, { error: '#DIV/0!' });
  set(7, NOTE, { formula: '"见"&"_x005F_x0031_条"', result: '见_x005F_x0031_条' });
  const book = new ExcelJS.Workbook();
  book.addWorksheet('行政处罚').addRows([PENALTY_HEADER, ...cells]);
  await book.xlsx.writeFile(file);
  return rows.map((row) => [...row]);
}

describe('a penalty workbook with Excel error values, formulas and escaped text', () => {
  let fx: WarehouseFixture;
  let rows: string[][];
  let runId: number;

  beforeAll(async () => {
    fx = await openWarehouseFixture('files_xlsx_cell_values');
    const file = path.join(fx.scratch, '错误值.xlsx');
    rows = await writeWorkbook(file);
    const summary = await ingestDelivery(fx, await unitsForFile(file, RECEIVED));
    expect(summary.status).toBe('completed');
    expect(summary.counts).toMatchObject({ read: 10, inserted: 5, rejected: 5 });
    runId = summary.runId;
  });
  afterAll(async () => fx?.close());

  it('rejects an error value, an error result and a formula without its result, each by its own code', async () => {
    expect(await flatRejections(fx.warehouse, runId)).toEqual([
      [2, 'CF_CFJG', 'excel-error-value'],
      [3, 'CF_SY', 'excel-error-value'],
      [4, 'CF_XDR_MC', 'formula-without-result'],
      [7, 'CF_SY', 'invalid-character'],
      [8, 'CF_NR', 'excel-error-value'],
    ]);
  });

  it('names the field, the row and the value in Chinese, and says what to do', async () => {
    const errors = await fx
      .warehouse('rejections')
      .where({ run_id: runId })
      .orderBy('row_number')
      .select('row_number', 'errors');
    const first = (row: number) => errors.find((rejection) => rejection.row_number === row)?.errors[0];
    expect(first(2)).toMatchObject({
      value: '#N/A',
      message: expect.stringMatching(
        /^第2行"处罚机关"是 Excel 错误值"#N\/A"（公式或引用出错的标记，不是数据），该行未入库/,
      ),
    });
    expect(first(3)).toMatchObject({
      value: '=VLOOKUP(A3,代码表!A:B,2,0)',
      message: expect.stringContaining(
        '第3行"违法事实"的公式"=VLOOKUP(A3,代码表!A:B,2,0)"的计算结果是错误值',
      ),
    });
    expect(first(4)).toMatchObject({
      value: '=CONCAT("济南","公司")',
      message: expect.stringContaining('公式没有保存计算结果，请在 Excel 中重新计算并保存后报送'),
    });
    // The decoded NUL is refused as any NUL is, shown escaped.
    expect(first(7)).toMatchObject({ value: '含\\u0000空字符' });
  });

  it('stores escaped text decoded: a line break, a decision number (the same key as typed), a literal _x', async () => {
    const loaded = await fx.warehouse.raw(
      `SELECT rs.row_number, rv.data ->> 'CF_SY' AS facts, rv.data ->> 'CF_WSH' AS number, rv.data ->> 'BZ' AS note
       FROM record_sources rs JOIN record_versions rv ON rv.id = rs.version_id WHERE rs.row_number IN (5, 6, 9)
       ORDER BY 1`,
    );
    expect(loaded.rows).toEqual([
      { row_number: 5, facts: '第一行\r\n第二行', number: rows[3]?.[NUMBER], note: null },
      { row_number: 6, facts: rows[4]?.[FACTS], number: rows[4]?.[NUMBER], note: null },
      { row_number: 9, facts: rows[7]?.[FACTS], number: rows[7]?.[NUMBER], note: '见_x0031_条' },
    ]);
  });
});
