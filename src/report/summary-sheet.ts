import type ExcelJS from 'exceljs';
import { printLayout, WRAP } from './print-setup.ts';
import { HEADER_STYLE } from './rejection-sheet.ts';
import { xlsxCell, xlsxText } from './spreadsheet-safe.ts';

/** A first sheet of label/value lines and small tables, written with the streaming writer. */
export interface SummarySheet {
  title(text: string): void;
  line(label: string, value: string | number, options?: { warn?: boolean }): void;
  table(caption: string, headers: string[], rows: (string | number)[][]): void;
  commit(): void;
}

/** `document` is the title printed at the top of each page (default: the sheet's name). */
export function summarySheet(
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  name: string,
  widths: number[],
  document = name,
): SummarySheet {
  const sheet = workbook.addWorksheet(name, printLayout(document));
  // Long values (what to do, the scope) wrap in their cell instead of running off the page.
  sheet.columns = widths.map((width, i) => ({ key: `c${i}`, width, style: { alignment: WRAP } }));
  return {
    title(text) {
      const row = sheet.addRow([xlsxText(text)]);
      row.font = { bold: true, size: 14 };
      // A title runs on over the empty cells to its right rather than wrapping in the narrow label column.
      row.getCell(1).alignment = { vertical: 'top', wrapText: false };
      row.commit();
    },
    line(label, value, options = {}) {
      const row = sheet.addRow([xlsxText(label), xlsxCell(value)]);
      row.getCell(1).font = { bold: true };
      if (options.warn) row.getCell(2).font = { bold: true, color: { argb: 'FFC00000' } };
      row.commit();
    },
    table(caption, headers, rows) {
      sheet.addRow([]).commit();
      const captionRow = sheet.addRow([xlsxText(caption)]);
      captionRow.font = { bold: true };
      captionRow.commit();
      const header = sheet.addRow(headers.map(xlsxText));
      header.eachCell((cell) => {
        cell.style = HEADER_STYLE;
      });
      header.commit();
      for (const values of rows) sheet.addRow(values.map(xlsxCell)).commit();
    },
    commit() {
      sheet.commit();
    },
  };
}
