import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unitsForFile } from '../connectors/transports/archive-units.ts';
import { generatePenalties, PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import { ingestDelivery } from './support/ingest-delivery.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
/** Columns of the penalty layout (0-based) and their letters. */
const SUBJECT_FIELDS = 13;
const [USCC, DECIDED, AUTHORITY, AUTHORITY_CODE] = [2, 22, 25, 26];

/**
 * Twelve penalties as a person formats them in Excel (data rows 3–14 under a merged title): one company's
 * three penalties with its name and USCC merged down (rows 3–5), one authority merged down over four rows
 * (6–9), one decision date merged down (10–12), and a USCC typed as a number merged down (13–14).
 */
async function writeMergedWorkbook(file: string): Promise<string[][]> {
  const { rows } = generatePenalties(12, { badShare: 0 });
  const same = (from: number, to: number, columns: number[]) => {
    for (const column of columns) (rows[to] as string[])[column] = (rows[from] as string[])[column] ?? '';
  };
  const subject = [...Array(SUBJECT_FIELDS).keys()];
  for (const i of [1, 2]) same(0, i, subject);
  for (const i of [4, 5, 6]) same(3, i, [AUTHORITY, AUTHORITY_CODE]);
  for (const i of [8, 9]) same(7, i, [DECIDED, 23, 24]);
  same(10, 11, subject);
  const expected = rows.map((row) => [...row]);
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('行政处罚');
  sheet.addRow(['2026年行政处罚信息（双公示）']);
  sheet.addRow(PENALTY_HEADER);
  rows.forEach((row, i) => {
    const cells: unknown[] = [...row];
    if (i === 7) cells[DECIDED] = new Date(`${row[DECIDED]}T00:00:00Z`);
    if (i === 10) cells[USCC] = Number('913701020000123456');
    // What Excel keeps of a merge: the top-left cell only.
    if ([1, 2, 11].includes(i)) cells[0] = cells[USCC] = null;
    if ([4, 5, 6].includes(i)) cells[AUTHORITY] = cells[AUTHORITY_CODE] = null;
    if ([8, 9].includes(i)) cells[DECIDED] = null;
    sheet.addRow(cells);
  });
  sheet.mergeCells(1, 1, 1, PENALTY_HEADER.length);
  for (const ref of ['A3:A5', 'C3:C5', 'Z6:Z9', 'AA6:AA9', 'W10:W12', 'A13:A14', 'C13:C14']) {
    sheet.mergeCells(ref);
  }
  await book.xlsx.writeFile(file);
  return expected;
}

describe('a penalty workbook with merged cells in its data rows', () => {
  let fx: WarehouseFixture;
  let expected: string[][];
  let runId: number;

  beforeAll(async () => {
    fx = await openWarehouseFixture('files_xlsx_merges');
    const file = path.join(fx.scratch, '合并单元格.xlsx');
    expected = await writeMergedWorkbook(file);
    const summary = await ingestDelivery(fx, await unitsForFile(file, RECEIVED));
    expect(summary.status).toBe('completed');
    expect(summary.counts).toMatchObject({ read: 12, inserted: 10, rejected: 2 });
    runId = summary.runId;
  });
  afterAll(async () => fx?.close());

  it('rejects only the code stored as a number, in both rows its merge covers', async () => {
    expect(await flatRejections(fx.warehouse, runId)).toEqual([
      [13, 'CF_XDR_SHDM', 'code-stored-as-number'],
      [14, 'CF_XDR_SHDM', 'code-stored-as-number'],
    ]);
  });

  it('loads every covered cell with its merge’s value: the USCC validates, authority and date are stored', async () => {
    const loaded = await fx.warehouse.raw(
      `SELECT rs.row_number, rv.data ->> 'CF_XDR_MC' AS name, rv.data ->> 'CF_XDR_SHDM' AS uscc,
              rv.data ->> 'CF_CFJG' AS authority, rv.data ->> 'CF_CFJGDM' AS authority_code,
              rv.data ->> 'CF_JDRQ' AS decided
       FROM record_sources rs JOIN record_versions rv ON rv.id = rs.version_id ORDER BY 1`,
    );
    const iso = (text: string) => text.replaceAll('/', '-').replace(/-(\d)(?=-|$)/g, '-0$1');
    expect(loaded.rows).toEqual(
      expected.slice(0, 10).map((row, i) => ({
        row_number: i + 3,
        name: row[0],
        uscc: row[USCC] || null,
        authority: row[AUTHORITY],
        authority_code: row[AUTHORITY_CODE],
        decided: iso(row[DECIDED] ?? ''),
      })),
    );
    expect(new Set(loaded.rows.slice(0, 3).map((row: { uscc: string }) => row.uscc)).size).toBe(1);
  });
});
