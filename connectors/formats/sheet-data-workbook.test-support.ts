import ExcelJS from 'exceljs';
import { repackWorkbook } from './xlsx-repack.test-support.ts';

/**
 * A one-sheet workbook (sheet 「处罚」) whose `<sheetData>` is the XML given, as a writer other than exceljs (or a
 * hostile one) would store it. `strings` fill the shared-string table, in the order given, for cells of `t="s"` to
 * point to: exceljs writes them from a first row that the given XML then replaces.
 */
export async function workbookWithSheetData(
  sheetData: string,
  strings: readonly string[] = ['x'],
): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.addWorksheet('处罚').addRow([...strings]);
  const bytes = Buffer.from(await book.xlsx.writeBuffer());
  return repackWorkbook(bytes, {
    edit: (part, text) =>
      part === 'xl/worksheets/sheet1.xml'
        ? text.replace(/<sheetData>.*<\/sheetData>/s, `<sheetData>${sheetData}</sheetData>`)
        : undefined,
  });
}
