import type ExcelJS from 'exceljs';
import type { RejectionRow } from '../warehouse/rejections-repository.ts';
import { printLayout, WRAP } from './print-setup.ts';
import type { EntryColumns, ReportMasker } from './report-columns.ts';
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
      const shown = masker.row(catalogCode, rejection.raw);
      const cells = columns.codes.map((code) => xlsxText(shown[code] ?? ''));
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
