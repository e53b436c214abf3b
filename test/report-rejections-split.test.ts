import { writeFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { writeRejectionsXlsx } from '../src/report/rejections-xlsx.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * A rejection workbook never has a sheet over Excel's row limit (the rest continues on `<sheet>-2`…), and only
 * its first rows carry cell notes (exceljs holds a sheet's notes in memory until the sheet ends). The limits are
 * Excel's by default; a small limit here shows the split on a few rows.
 */
describe('the rejection workbook at Excel’s limits', () => {
  let fx: WarehouseFixture;
  let runId: number;
  let rejected: number;

  beforeAll(async () => {
    fx = await openWarehouseFixture('report_rejections_split');
    const generated = generatePenalties(12, { badShare: 1, seed: 7 });
    const file = path.join(fx.scratch, 'split.csv');
    writeFileSync(file, toCsv(PENALTY_HEADER, generated.rows));
    const summary = await fx.ingest([file], { receivedAt: new Date('2026-11-20T10:00:00+08:00') });
    runId = summary.runId;
    rejected = summary.counts.rejected;
  });
  afterAll(async () => fx?.close());

  it('splits the rows into continuation sheets of at most rowLimit rows and stops notes after notedRows', async () => {
    expect(rejected).toBeGreaterThanOrEqual(11);
    const out = path.join(fx.scratch, 'split.xlsx');
    const rows = await writeRejectionsXlsx(fx.warehouse, fx.catalog, { kind: 'run', runId }, out, {
      rowLimit: 5,
      notedRows: 3,
    });
    expect(rows).toBe(rejected);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    const sheets = workbook.worksheets.slice(1);
    const parts = Math.ceil(rejected / 4);
    expect(sheets.map((sheet) => sheet.name)).toEqual(
      Array.from({ length: parts }, (_, i) => `行政处罚(xzcf)${i === 0 ? '' : `-${i + 1}`}`),
    );
    const lineNumbers: number[] = [];
    const notedRows: number[] = [];
    const redRows: number[] = [];
    for (const sheet of sheets) {
      expect(sheet.rowCount, sheet.name).toBeLessThanOrEqual(5);
      expect(sheet.getRow(1).getCell(2).text, sheet.name).toBe('行号');
      sheet.eachRow((row, index) => {
        if (index === 1) return;
        const line = Number(row.getCell(2).value);
        lineNumbers.push(line);
        let noted = false;
        let red = false;
        row.eachCell({ includeEmpty: true }, (cell) => {
          if (cell.note) noted = true;
          if ((cell.fill as ExcelJS.FillPattern | undefined)?.fgColor?.argb === 'FFFFC7CE') red = true;
        });
        if (noted) notedRows.push(line);
        if (red) redRows.push(line);
      });
    }
    // Every rejected row once, in order across the sheets.
    expect(lineNumbers).toHaveLength(rejected);
    expect(new Set(lineNumbers).size).toBe(rejected);
    // The first three rows carry notes; every row keeps its red cells.
    expect(notedRows).toEqual(lineNumbers.slice(0, 3));
    expect(redRows).toEqual(lineNumbers);
  });

  it('keeps one sheet and a note on every row under the limits', async () => {
    const out = path.join(fx.scratch, 'whole.xlsx');
    await writeRejectionsXlsx(fx.warehouse, fx.catalog, { kind: 'run', runId }, out);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    const sheet = workbook.worksheets[1]!;
    expect(workbook.worksheets.map((one) => one.name)).toEqual(['汇总', '行政处罚(xzcf)']);
    expect(sheet.rowCount).toBe(rejected + 1);
    let noted = 0;
    sheet.eachRow((row, index) => {
      let hasNote = false;
      row.eachCell({ includeEmpty: true }, (cell) => {
        if (cell.note) hasNote = true;
      });
      if (index > 1 && hasNote) noted++;
    });
    expect(noted).toBe(rejected);
  });
});
