import type ExcelJS from 'exceljs';
import { HEADER_STYLE } from './rejection-sheet.ts';
import { xlsxCell, xlsxText } from './spreadsheet-safe.ts';

/** A first sheet of label/value lines and small tables, written with the streaming writer. */
export interface SummarySheet {
  title(text: string): void;
  line(label: string, value: string | number, options?: { warn?: boolean }): void;
  table(caption: string, headers: string[], rows: (string | number)[][]): void;
  commit(): void;
}

export function summarySheet(
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  name: string,
  widths: number[],
): SummarySheet {
  const sheet = workbook.addWorksheet(name);
  sheet.columns = widths.map((width, i) => ({ key: `c${i}`, width }));
  return {
    title(text) {
      const row = sheet.addRow([xlsxText(text)]);
      row.font = { bold: true, size: 14 };
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
