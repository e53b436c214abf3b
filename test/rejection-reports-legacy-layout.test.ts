import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { writeRejectionsCsv } from '../src/report/rejections-csv.ts';
import { writeRejectionsJson } from '../src/report/rejections-json.ts';
import { writeRejectionsXlsx } from '../src/report/rejections-xlsx.ts';
import { sheetValues } from './support/sheet-values.ts';
import { fixturePath, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/*
 * One run of a current-layout file and a 2016 双公示 one (read by xzcf v2): every rejection report shows a row
 * under the columns of its own file, as the provider named them, with its own cells; and the XLSX summary names a
 * field the current layout lacks (当前状态, DQZT) by its Chinese name.
 */
const LEGACY = fixturePath('xzcf', 'legacy-2016-utf8', 'input.csv');
const legacyHeader = readFileSync(LEGACY, 'utf8').split('\n')[0]!.trim().split(',');

describe('rejection reports of a run with a 2016-layout file', () => {
  let fx: WarehouseFixture;
  let runId: number;
  beforeAll(async () => {
    fx = await openWarehouseFixture('rejection_reports_legacy');
    const { lookups } = JSON.parse(
      readFileSync(fixturePath('xzcf', 'legacy-2016-utf8', 'expected.json'), 'utf8'),
    );
    const current = path.join(fx.scratch, 'current.csv');
    writeFileSync(current, toCsv(PENALTY_HEADER, generatePenalties(4, { badShare: 0.5, seed: 7 }).rows));
    const legacy = path.join(fx.scratch, 'legacy.csv');
    writeFileSync(legacy, readFileSync(LEGACY));
    ({ runId } = await fx.ingest([current, legacy], { lookups }));
  }, 120_000);
  afterAll(async () => fx?.close());

  it('CSV: a 2016 row has its cells under its own column names, a current row under the current ones', async () => {
    const out = path.join(fx.scratch, 'r.csv');
    await writeRejectionsCsv(fx.warehouse, fx.catalog, { kind: 'run', runId }, out);
    const [header, ...lines] = parse(readFileSync(out, 'utf8').replace(/^\uFEFF/, '')) as string[][];
    const cell = (line: string[], title: string) => line[header!.indexOf(title)];
    const legacyLines = lines.filter((line) => line[0] === 'legacy.csv');
    const currentLines = lines.filter((line) => line[0] === 'current.csv');
    expect(legacyLines.length).toBeGreaterThan(0);
    expect(currentLines.length).toBeGreaterThan(0);
    // Every column of the 2016 file is in the header, under its 2016 name.
    expect(header).toEqual(expect.arrayContaining(legacyHeader));
    // The 2016 rows' own cells: 处罚类别1, 当前状态 (the bad 5 of row 8), 处罚结果 (empty in row 9).
    expect(legacyLines.map((line) => cell(line, '处罚类别1'))).toEqual(legacyLines.map(() => '罚款'));
    expect(legacyLines.find((line) => line[1] === '8')?.[header!.indexOf('当前状态')]).toBe('5');
    expect(legacyLines.find((line) => line[1] === '6')?.[header!.indexOf('处罚事由')]).toBe(
      '销售不符合国家标准的电线电缆',
    );
    // …and nothing under the current names the 2016 file never had, the current rows the other way round.
    expect(legacyLines.every((line) => cell(line, '违法事实') === '')).toBe(true);
    expect(currentLines.every((line) => cell(line, '处罚事由') === '' && cell(line, '当前状态') === '')).toBe(
      true,
    );
    expect(currentLines.some((line) => cell(line, '违法事实') !== '')).toBe(true);
    // The field of an error is named as the provider's file names it.
    const status = legacyLines.find((line) => line[3] === 'DQZT');
    expect(status?.[4]).toBe('当前状态');
  });

  it('JSON: a 2016 row has its own cells and layout, the column names given once', async () => {
    const out = path.join(fx.scratch, 'r.json');
    await writeRejectionsJson(fx.warehouse, fx.catalog, { kind: 'run', runId }, out);
    const report = JSON.parse(readFileSync(out, 'utf8')) as {
      legacyLayouts: { catalogCode: string; layout: number; columns: Record<string, string> }[];
      rejections: {
        file: string;
        rowNumber: number;
        layout?: number;
        cells: Record<string, string>;
        errors: { field: string; fieldTitle: string }[];
      }[];
    };
    const legacyRows = report.rejections.filter((row) => row.file === 'legacy.csv');
    expect(legacyRows.length).toBeGreaterThan(0);
    expect(legacyRows.every((row) => row.layout === 2 && row.cells.CF_CFLB1 === '罚款')).toBe(true);
    expect(legacyRows.find((row) => row.rowNumber === 8)?.cells.DQZT).toBe('5');
    expect(legacyRows.find((row) => row.rowNumber === 8)?.errors.map((error) => error.fieldTitle)).toContain(
      '当前状态',
    );
    expect(
      report.rejections.filter((row) => row.file === 'current.csv').every((row) => !('layout' in row)),
    ).toBe(true);
    const [layout] = report.legacyLayouts;
    expect(layout).toMatchObject({ catalogCode: 'xzcf', layout: 2 });
    expect(Object.values(layout!.columns).sort()).toEqual([...legacyHeader].sort());
  });

  it('XLSX summary: a field the current layout lacks is named by its catalog title (当前状态, not DQZT)', async () => {
    const out = path.join(fx.scratch, 'r.xlsx');
    await writeRejectionsXlsx(fx.warehouse, fx.catalog, { kind: 'run', runId }, out);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(out);
    const summary = sheetValues(book.getWorksheet('汇总')!);
    const byField = summary.filter((row) => row[0] === 'DQZT');
    expect(byField.length).toBeGreaterThan(0);
    expect(byField.map((row) => row[1])).toEqual(byField.map(() => '当前状态'));
    expect(summary.some((row) => row[0] === 'CF_CFJG' && row[1] === '处罚机关')).toBe(true);
  });
});
