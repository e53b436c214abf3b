import type ExcelJS from 'exceljs';
import type { Catalog } from '../catalog/load-catalog.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { fileCatalogVersions } from '../warehouse/rejections-repository.ts';
import { IN_BATCH_REPEATS } from './notice-key.ts';
import { type NoticeRow, noticeRows } from './notice-rows.ts';
import { printLayout } from './print-setup.ts';
import { BAD_CELL, HEADER_STYLE, sheetName } from './rejection-sheet.ts';
import { layoutColumns, legacyLayoutOf, type ReportMasker } from './report-columns.ts';
import { xlsxText } from './spreadsheet-safe.ts';
import type { StreamingWorkbook } from './streaming-workbook.ts';
import { fieldNumFmt, formatFieldColumns, titleWidth, validateFieldColumns } from './template-columns.ts';

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
 * The re-upload templates (重报模板) of one catalog entry: exactly the catalog headers, one row per business key
 * (an in-file duplicate and the row it repeats, or a conflict row and its duplicate, become one row), the cells
 * to fix filled red with the problem as a note, masked cells yellow. The provider fixes the marked cells and
 * delivers the workbook again as it is: ingest finds this sheet by its header. A rejected row of a file read by a
 * legacy layout (the 2016 双公示 one) goes to a sheet in that layout, under its old column names with its own
 * cells (report-columns.ts layoutColumns), which the same version reads back; every other row to the sheet in the
 * current layout. Returns the sheets written, each with its rows.
 */
export async function writeReuploadTemplate(
  workbook: StreamingWorkbook,
  warehouse: Warehouse,
  catalog: Catalog,
  noticeId: number,
  catalogCode: string,
  masker: ReportMasker,
  options: ReuploadOptions,
): Promise<{ name: string; rows: number }[]> {
  // First pass: each row's file and the columns its rejected rows carry (a conflict's values are the model's).
  const fileColumns = new Map<number, Set<string>>();
  for await (const row of noticeRows(warehouse, catalog, noticeId, catalogCode)) {
    const seen = fileColumns.get(row.sourceFileId) ?? new Set<string>();
    if (row.kind === 'rejected') for (const field of Object.keys(row.raw)) seen.add(field);
    fileColumns.set(row.sourceFileId, seen);
  }
  const versions = await fileCatalogVersions(warehouse, [...fileColumns.keys()]);
  const layoutOf = (row: NoticeRow) =>
    row.kind === 'rejected'
      ? legacyLayoutOf(catalog, catalogCode, versions.get(row.sourceFileId))
      : undefined;
  // Second pass: the layouts, and how many rows share each key within its layout.
  const carried = new Map<number | undefined, Set<string>>();
  const sizes = new Map<string, number>();
  for await (const row of noticeRows(warehouse, catalog, noticeId, catalogCode)) {
    const layout = layoutOf(row);
    const columns = carried.get(layout) ?? new Set<string>();
    if (layout !== undefined) for (const field of fileColumns.get(row.sourceFileId) ?? []) columns.add(field);
    carried.set(layout, columns);
    if (row.businessKey !== null) {
      const key = `${layout}|${row.businessKey}`;
      sizes.set(key, (sizes.get(key) ?? 0) + 1);
    }
  }
  // The current layout's sheet first (its name unchanged), then each legacy layout's.
  const legacy = [...carried.keys()].filter((layout) => layout !== undefined).sort((a, b) => a - b);
  const layouts = carried.has(undefined) || legacy.length === 0 ? [undefined, ...legacy] : legacy;
  const sheets: { name: string; rows: number }[] = [];
  for (const layout of layouts) {
    const columns = layoutColumns(catalog, catalogCode, layout, carried.get(layout));
    const name = sheetName(
      layout === undefined ? `重报模板-${columns.title}` : `重报模板-${columns.title}(旧版布局v${layout})`,
    );
    const rows = await writeLayoutSheet(
      name,
      columns,
      (row) => layoutOf(row) === layout,
      (row) => (row.businessKey === null ? 1 : (sizes.get(`${layout}|${row.businessKey}`) ?? 1)),
    );
    sheets.push({ name, rows });
  }
  return sheets;

  async function writeLayoutSheet(
    name: string,
    columns: ReturnType<typeof layoutColumns>,
    inLayout: (row: NoticeRow) => boolean,
    sizeOf: (row: NoticeRow) => number,
  ): Promise<number> {
    const { fields } = columns;
    const sheet = workbook.addWorksheet(name, {
      views: [{ state: 'frozen', ySplit: 1 }],
      ...printLayout(options.document ?? name, 1),
    });
    sheet.columns = columns.titles.map((title, i) => ({ key: `c${i}`, width: titleWidth(title) }));
    formatFieldColumns(sheet, fields);
    sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.titles.length } };
    const header = sheet.addRow(columns.titles.map(xlsxText));
    header.eachCell((cell) => {
      cell.style = HEADER_STYLE;
    });
    header.commit();

    // Memory holds the keys and the rows of repeated keys, not the notice.
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
    // An unmasked template quotes another channel's current values unmasked too (notice-rows.ts).
    for await (const row of noticeRows(warehouse, catalog, noticeId, catalogCode, {
      unmasked: masker.unmasked,
    })) {
      if (!inLayout(row)) continue;
      await workbook.drained();
      const size = sizeOf(row);
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
  const taken = ordered.filter((row) => !row.errors.some((error) => IN_BATCH_REPEATS.has(error.code)));
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
    const theirRow = masker.row(catalogCode, row.raw);
    const keptRow = masker.row(catalogCode, base.raw);
    codes.forEach((field, i) => {
      if (textOf(row.raw, field) === textOf(base.raw, field)) return;
      note(
        i + 1,
        `${where}同一主键的另一行此处为"${textOf(theirRow, field)}"，本模板填的是原第${base.rowNumber}行的"${textOf(keptRow, field)}"：同一主键只报送一行，请保留正确的值`,
      );
    });
  }
  const masked = new Set<number>();
  // Masked as a row: the row's own ID quoted mistyped in another cell is the person's too.
  const shownRow = masker.row(catalogCode, base.raw);
  const values = codes.map((field, i) => {
    const value = textOf(base.raw, field);
    if (options.ownValues) return value;
    const shown = textOf(shownRow, field);
    if (shown !== value) masked.add(i + 1);
    return shown;
  });
  return { values, notes, masked };
}

/** A stored cell as text: a rejected row keeps the numbers it could read as numbers. */
function textOf(row: Readonly<Record<string, unknown>>, field: string): string {
  return String(row[field] ?? '');
}
