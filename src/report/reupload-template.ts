import type ExcelJS from 'exceljs';
import type { Catalog } from '../catalog/load-catalog.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { type NoticeRow, noticeRows } from './notice-rows.ts';
import { printLayout } from './print-setup.ts';
import { BAD_CELL, HEADER_STYLE, sheetName } from './rejection-sheet.ts';
import { entryColumns, type ReportMasker } from './report-columns.ts';
import { xlsxText } from './spreadsheet-safe.ts';
import {
  fieldNumFmt,
  fieldSchemaOf,
  formatFieldColumns,
  titleWidth,
  validateFieldColumns,
} from './template-columns.ts';

/** Excel's own "neutral" style (yellow): a value the provider must type again, not an error of theirs. */
export const MASKED_CELL: Partial<ExcelJS.Style> = {
  fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFEB9C' } },
  font: { color: { argb: 'FF9C5700' } },
};

export interface ReuploadOptions {
  /**
   * The template's cells hold the values the provider itself delivered in clear (ID numbers included), so it
   * can be sent back as it is. Only ever for the provider the notice is addressed to, on the engineer's explicit
   * choice (`report notice --template-unmasked`); notes, the letter and the list stay masked.
   */
  ownValues: boolean;
  /** The document's title in the printed page header (print-setup.ts). */
  document?: string;
}

/**
 * The re-upload template (重报模板) of one catalog entry: exactly the catalog headers, one row per business key
 * (an in-file duplicate and the row it repeats, or a conflict row and its duplicate, become one row), the cells
 * to fix filled red with the problem as a note, masked cells yellow. The provider fixes the marked cells and
 * delivers the workbook again as it is: ingest finds this sheet by its header. Returns the rows written.
 */
export async function writeReuploadTemplate(
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  warehouse: Warehouse,
  catalog: Catalog,
  noticeId: number,
  catalogCode: string,
  masker: ReportMasker,
  options: ReuploadOptions,
): Promise<number> {
  const columns = entryColumns(catalog, catalogCode);
  const fields = columns.codes.map((code) => fieldSchemaOf(catalog.entries, catalogCode, code));
  const sheet = workbook.addWorksheet(sheetName(`重报模板-${columns.title}`), {
    views: [{ state: 'frozen', ySplit: 1 }],
    ...printLayout(options.document ?? `重报模板-${columns.title}`, 1),
  });
  sheet.columns = columns.titles.map((title, i) => ({ key: `c${i}`, width: titleWidth(title) }));
  formatFieldColumns(sheet, fields);
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.titles.length } };
  const header = sheet.addRow(columns.titles.map(xlsxText));
  header.eachCell((cell) => {
    cell.style = HEADER_STYLE;
  });
  header.commit();

  // Two passes, so that memory holds the keys and the rows of repeated keys, not the notice.
  const sizes = new Map<string, number>();
  for await (const row of noticeRows(warehouse, catalog, noticeId, catalogCode)) {
    if (row.businessKey !== null) sizes.set(row.businessKey, (sizes.get(row.businessKey) ?? 0) + 1);
  }
  const waiting = new Map<string, NoticeRow[]>();
  let written = 0;
  const write = (group: NoticeRow[]) => {
    const { values, notes, masked } = templateRow(group, columns.codes, masker, options);
    const row = sheet.addRow(values.map(xlsxText));
    for (const column of new Set([...notes.keys(), ...masked])) {
      const cell = row.getCell(column);
      const numFmt = fieldNumFmt(fields[column - 1]);
      cell.style = { ...(notes.has(column) ? BAD_CELL : MASKED_CELL), ...(numFmt ? { numFmt } : {}) };
      const texts = [...(notes.get(column) ?? [])];
      if (masked.has(column)) texts.push('已脱敏：请填写完整号码后报送');
      cell.note = texts.join('\n');
    }
    row.commit();
    written++;
  };
  for await (const row of noticeRows(warehouse, catalog, noticeId, catalogCode)) {
    const size = row.businessKey === null ? 1 : (sizes.get(row.businessKey) ?? 1);
    if (size === 1 || row.businessKey === null) {
      write([row]);
      continue;
    }
    const group = [...(waiting.get(row.businessKey) ?? []), row];
    if (group.length < size) {
      waiting.set(row.businessKey, group);
      continue;
    }
    waiting.delete(row.businessKey);
    write(group);
  }
  // The streaming writer writes a sheet's validations when it is committed: they can cover just the rows.
  validateFieldColumns(sheet, fields, 2, written + 1);
  sheet.commit();
  return written;
}

/**
 * One template row for the notice rows of one key: the values of the row the engine took (not an in-file
 * duplicate), from the latest delivery; every problem of every row as a note on its cell (1-based column; a
 * whole-row problem on the first), and where another row of the key differs, a note naming its value.
 */
function templateRow(
  group: NoticeRow[],
  codes: readonly string[],
  masker: ReportMasker,
  options: ReuploadOptions,
): { values: string[]; notes: Map<number, string[]>; masked: Set<number> } {
  const ordered = [...group].sort((a, b) => a.sourceFileId - b.sourceFileId || a.rowNumber - b.rowNumber);
  const taken = ordered.filter((row) => !row.errors.some((error) => error.code === 'duplicate-key-in-batch'));
  const base = (taken.length > 0 ? taken : ordered).at(-1)!;
  const { catalogCode } = base;
  const notes = new Map<number, string[]>();
  const note = (column: number, text: string) => notes.set(column, [...(notes.get(column) ?? []), text]);
  const several = group.length > 1;
  for (const row of ordered) {
    const where = several ? `原第${row.rowNumber}行（${masker.text(row.file)}）：` : '';
    for (const error of row.errors) {
      const index = codes.indexOf(error.field);
      const { message } = masker.error(catalogCode, error, row.raw, row.current);
      note(index >= 0 ? index + 1 : 1, `${where}${error.code}：${message}`);
    }
    if (row === base) continue;
    codes.forEach((field, i) => {
      const theirs = textOf(row.raw, field);
      const kept = textOf(base.raw, field);
      if (theirs === kept) return;
      note(
        i + 1,
        `${where}同一主键的另一行此处为"${masker.cell(catalogCode, field, theirs)}"，本模板填的是原第${base.rowNumber}行的"${masker.cell(catalogCode, field, kept)}"：同一主键只报送一行，请保留正确的值`,
      );
    });
  }
  const masked = new Set<number>();
  const values = codes.map((field, i) => {
    const value = textOf(base.raw, field);
    if (options.ownValues) return value;
    const shown = masker.cell(catalogCode, field, value);
    if (shown !== value) masked.add(i + 1);
    return shown;
  });
  return { values, notes, masked };
}

/** A stored cell as text: a rejected row keeps the numbers it could read as numbers. */
function textOf(row: Readonly<Record<string, unknown>>, field: string): string {
  return String(row[field] ?? '');
}
