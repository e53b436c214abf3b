import type ExcelJS from 'exceljs';
import type { Catalog } from '../catalog/load-catalog.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { type RejectionRow, rejectedFileLayouts } from '../warehouse/rejections-repository.ts';
import type { ReportScope } from '../warehouse/scope-filter.ts';
import { printLayout, WRAP } from './print-setup.ts';
import { type EntryColumns, layoutColumns, legacyLayoutOf, type ReportMasker } from './report-columns.ts';
import { xlsxCell, xlsxText } from './spreadsheet-safe.ts';

/** Light red fill and dark red text: Excel's own "bad" cell style, which data engineers recognise. */
export const BAD_CELL: Partial<ExcelJS.Style> = {
  fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFC7CE' } },
  font: { color: { argb: 'FF9C0006' } },
};
export const HEADER_STYLE: Partial<ExcelJS.Style> = {
  font: { bold: true },
  fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFD9E1F2' } },
};

/** The columns before the catalog fields on every rejected-row sheet. */
export const LEADING_HEADERS = ['来源文件', '行号', '错误代码'] as const;

/** Excel forbids `[]:*?/\` in sheet names and cuts them at 31 characters. */
export function sheetName(text: string): string {
  return text.replace(/[[\]:*?/\\]/g, '_').slice(0, 31);
}

/**
 * The layouts a scope's rejections of one entry are in, each with its columns and its files: a rejection's `raw`
 * is keyed by the catalog version its file was read by, so the rows of a file read by a legacy layout (the 2016
 * 双公示 one) get a sheet of that layout's own columns (当前状态, 处罚类别1…), the others one of the current
 * columns. The current layout first, then each legacy layout.
 */
export async function rejectionLayouts(
  warehouse: Warehouse,
  catalog: Catalog,
  scope: ReportScope,
  catalogCode: string,
): Promise<{ layout?: number; columns: EntryColumns; files: Set<number> }[]> {
  const groups = new Map<number | undefined, { files: Set<number>; carried: Set<string> }>();
  for (const file of await rejectedFileLayouts(warehouse, scope, catalogCode)) {
    const layout = legacyLayoutOf(catalog, catalogCode, file.catalogVersion);
    const group = groups.get(layout) ?? { files: new Set<number>(), carried: new Set<string>() };
    group.files.add(file.sourceFileId);
    for (const column of file.columns) group.carried.add(column);
    groups.set(layout, group);
  }
  return [...groups]
    .sort(([a], [b]) => (a ?? -1) - (b ?? -1))
    .map(([layout, { files, carried }]) => ({
      layout,
      files,
      columns: layoutColumns(catalog, catalogCode, layout, carried),
    }));
}

export interface RejectionSheet {
  add(rejection: RejectionRow): void;
  /** Rows written so far. */
  readonly rows: number;
}

/**
 * A sheet of rejected rows of one catalog entry: every original cell under its catalog title, the bad cells
 * highlighted and carrying their error messages as a comment, the header frozen and filterable. Rows are
 * committed as they come, so the streaming writer keeps memory flat.
 */
export function rejectionSheet(
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  name: string,
  columns: EntryColumns,
  masker: ReportMasker,
  options: { document?: string; notes?: number } = {},
): RejectionSheet {
  // The first `notes` rows carry their messages as cell notes; later ones only the red fill. exceljs holds a
  // sheet's notes (comments and their drawings) in memory until the sheet ends: a cap keeps memory flat.
  const noteRows = options.notes ?? Number.POSITIVE_INFINITY;
  const headers = [...LEADING_HEADERS, ...columns.titles];
  const sheet = workbook.addWorksheet(sheetName(name), {
    views: [{ state: 'frozen', ySplit: 1 }],
    ...printLayout(options.document ?? name, 1),
  });
  sheet.columns = headers.map((header, i) => ({
    key: `c${i}`,
    width: columnWidth(header, i),
    style: { alignment: WRAP },
  }));
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: headers.length } };
  const header = sheet.addRow(headers.map(xlsxText));
  header.eachCell((cell) => {
    cell.style = HEADER_STYLE;
  });
  header.commit();
  const leading = LEADING_HEADERS.length;
  let rows = 0;
  return {
    get rows() {
      return rows;
    },
    add(rejection) {
      const { catalogCode } = rejection;
      const cells = columns.codes.map((code) =>
        xlsxText(masker.cell(catalogCode, code, String(rejection.raw[code] ?? ''))),
      );
      const codes = [...new Set(rejection.errors.map((error) => error.code))].join(', ');
      const row = sheet.addRow([
        xlsxText(masker.text(rejection.file)),
        rejection.rowNumber,
        xlsxCell(codes),
        ...cells,
      ]);
      const notes = new Map<number, string[]>();
      for (const error of rejection.errors) {
        const index = columns.codes.indexOf(error.field);
        // A whole-row problem (or a field the sheet lacks) is marked on the row number.
        const column = index >= 0 ? leading + index + 1 : 2;
        const text = `${error.code}：${masker.error(catalogCode, error, rejection.raw, rejection.current ?? {}).message}`;
        notes.set(column, [...(notes.get(column) ?? []), text]);
      }
      for (const [column, texts] of notes) {
        const cell = row.getCell(column);
        cell.style = { ...cell.style, ...BAD_CELL };
        if (rows < noteRows) cell.note = texts.join('\n');
      }
      row.commit();
      rows++;
    },
  };
}

function columnWidth(header: string, index: number): number {
  if (index === 0) return 28;
  if (index === 1) return 8;
  // Chinese characters are about two Latin characters wide.
  const width = [...header].reduce((sum, char) => sum + (char.charCodeAt(0) > 0x2e80 ? 2 : 1), 0) + 2;
  return Math.min(Math.max(width, 12), 40);
}
