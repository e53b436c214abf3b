import { readFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRejectionReport } from '../src/report/write-rejection-report.ts';
import type { RunSummary } from '../src/run/ingest-files.ts';
import { deliveryWithInjections, INJECTIONS } from './support/report-deliveries.ts';
import { sheetValues } from './support/sheet-values.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');

describe('the rejection report', () => {
  let fx: WarehouseFixture;
  let run: RunSummary;
  let delivery: ReturnType<typeof deliveryWithInjections>;

  beforeAll(async () => {
    fx = await openWarehouseFixture('report_rejections');
    delivery = deliveryWithInjections(fx.scratch);
    run = await fx.ingest([delivery.file], { receivedAt: RECEIVED });
  });
  afterAll(async () => fx?.close());

  /** The resident ID numbers (法定代表人 and 自然人) of the rejected rows, as delivered. */
  function residentIds(): string[] {
    return delivery.expected
      .map((bad) => delivery.rows[bad.row - 2]!)
      .flatMap((row) => [row[10]!, row[12]!])
      .filter((id) => id.length === 18);
  }

  async function xlsx(name: string, options: { unmasked?: boolean } = {}) {
    const out = path.join(fx.scratch, name);
    await writeRejectionReport(
      fx.warehouse,
      fx.catalog,
      { kind: 'run', runId: run.runId },
      out,
      'xlsx',
      options,
    );
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    return workbook;
  }

  it('has a summary sheet first, then one sheet per catalog entry with every rejected row', async () => {
    const workbook = await xlsx('run.xlsx');
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['汇总', '行政处罚(xzcf)']);
    const summary = workbook.worksheets[0]!;
    const texts = summaryTexts(summary);
    expect(texts).toContain('已脱敏：居民身份证号码仅显示前4位和后4位');
    const codeRow = rowsOf(summary).find((row) => row[0] === 'uscc-check-digit');
    expect(codeRow?.[2]).toBe(1);
    expect(codeRow?.[1]).toContain('行政相对人代码_1(统一社会信用代码)');
    const sheet = workbook.worksheets[1]!;
    const rows = rowsOf(sheet);
    expect(rows[0]?.slice(0, 4)).toEqual(['来源文件', '行号', '错误代码', '行政相对人名称']);
    expect(rows.slice(1).map((row) => [row[1], row[2]])).toEqual(
      delivery.expected.map((bad) => [bad.row, bad.code]),
    );
  });

  it('highlights each bad cell and puts its Chinese message in a comment; header frozen and filterable', async () => {
    const sheet = (await xlsx('cells.xlsx')).worksheets[1]!;
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sheet.autoFilter).toBeTruthy();
    const header = rowsOf(sheet)[0]!;
    const shdm = header.indexOf('行政相对人代码_1(统一社会信用代码)') + 1;
    const bad = sheet.getRow(2).getCell(shdm);
    expect(bad.fill).toMatchObject({ type: 'pattern', fgColor: { argb: 'FFFFC7CE' } });
    expect(noteText(bad.note)).toMatch(/^uscc-check-digit：.*统一社会信用代码/);
    const name = sheet.getRow(2).getCell(header.indexOf('行政相对人名称') + 1);
    // Not highlighted: no fill, or the empty one every styled (wrapping) cell carries.
    expect(name.fill ?? { type: 'pattern', pattern: 'none' }).toEqual({ type: 'pattern', pattern: 'none' });
    expect(name.alignment).toMatchObject({ wrapText: true });
    expect(sheet.getColumn(shdm).width).toBeGreaterThan(10);
  });

  it('neutralizes every value a spreadsheet would run as a formula: typed text in XLSX, an apostrophe in CSV', async () => {
    const sheet = (await xlsx('formulas.xlsx')).worksheets[1]!;
    const rows = rowsOf(sheet);
    const remark = rows[0]!.indexOf('备注');
    // XLSX: the value as received, stored as text (never a formula), no apostrophe that would become data.
    // XML turns a lone CR into LF on reading.
    expect(rows.slice(1).map((row) => String(row[remark]).replace('\n', '\r'))).toEqual(INJECTIONS);
    expect(rows[1]![rows[0]!.indexOf('行政相对人名称')]).toBe(INJECTIONS[0]);
    sheet.eachRow((row) => {
      row.eachCell((cell) => {
        expect(cell.type).not.toBe(ExcelJS.ValueType.Formula);
      });
    });
    const csvFile = path.join(fx.scratch, 'formulas.csv');
    await writeRejectionReport(fx.warehouse, fx.catalog, { kind: 'run', runId: run.runId }, csvFile, 'csv');
    const csv = readFileSync(csvFile, 'utf8');
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""点我"")"`);
    expect(csv).toContain(",'@SUM(A1)");
    expect(csv).not.toMatch(/,[=+@-]/);
    const stored = await fx.warehouse('rejections').where({ run_id: run.runId, row_number: 3 }).first();
    expect(stored.raw.CF_XDR_MC).toBe(INJECTIONS[0]);
  });

  it('masks resident ID numbers unless unmasked, and then says so on the first sheet', async () => {
    const masked = await xlsx('masked.xlsx');
    const ids = residentIds();
    expect(ids.length).toBeGreaterThan(4);
    const cells = masked.worksheets.flatMap((sheet) => rowsOf(sheet).flat()).map(String);
    expect(cells.filter((cell) => ids.some((id) => cell.includes(id)))).toEqual([]);
    expect(cells.some((cell) => /^\d{4}\*{10}[\dX]{4}$/.test(cell))).toBe(true);
    const unmasked = await xlsx('unmasked.xlsx', { unmasked: true });
    expect(summaryTexts(unmasked.worksheets[0]!)).toContain(
      '未脱敏：本报告含完整居民身份证号码，仅限平台内部使用，不得对外提供',
    );
    const clear = unmasked.worksheets[1]!;
    expect(
      rowsOf(clear)
        .flat()
        .map(String)
        .filter((cell) => ids.includes(cell)).length,
    ).toBe(ids.length);
  });

  it('writes the same rows and errors as JSON, and reports a file or a provider and date range', async () => {
    const jsonFile = path.join(fx.scratch, 'run.json');
    const rows = await writeRejectionReport(
      fx.warehouse,
      fx.catalog,
      { kind: 'run', runId: run.runId },
      jsonFile,
      'json',
    );
    const report = JSON.parse(readFileSync(jsonFile, 'utf8'));
    expect(rows).toBe(delivery.expected.length);
    expect(report.unmasked).toBe(false);
    expect(
      report.rejections.map((r: { rowNumber: number; errors: { code: string }[] }) => [
        r.rowNumber,
        r.errors[0]?.code,
      ]),
    ).toEqual(delivery.expected.map((bad) => [bad.row, bad.code]));
    const text = JSON.stringify(report);
    expect(residentIds().filter((id) => text.includes(id))).toEqual([]);

    const byFile = path.join(fx.scratch, 'file.json');
    const fileId = run.files[0]!.sourceFileId;
    expect(
      await writeRejectionReport(
        fx.warehouse,
        fx.catalog,
        { kind: 'file', sourceFileId: fileId },
        byFile,
        'json',
      ),
    ).toBe(delivery.expected.length);
    const scope = { kind: 'provider', providerCode: '113700000000000000' } as const;
    const inRange = path.join(fx.scratch, 'range.json');
    const outOfRange = path.join(fx.scratch, 'none.json');
    const write = (file: string, from: string, to: string) =>
      writeRejectionReport(fx.warehouse, fx.catalog, { ...scope, from, to }, file, 'json');
    expect(await write(inRange, '2026-11-20', '2026-11-20')).toBe(delivery.expected.length);
    expect(await write(outOfRange, '2026-11-21', '2026-11-30')).toBe(0);
  });
});

function rowsOf(sheet: ExcelJS.Worksheet): unknown[][] {
  return sheetValues(sheet);
}

function summaryTexts(sheet: ExcelJS.Worksheet): string[] {
  return rowsOf(sheet).flat().map(String);
}

function noteText(note: ExcelJS.Cell['note']): string {
  if (typeof note === 'string') return note;
  return (note?.texts ?? []).map((part) => part.text).join('');
}
