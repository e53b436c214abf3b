import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';

/**
 * A workbook written row by row to `outFile` (its folder created): memory stays flat however many rows a report
 * has. No shared-strings table (it would grow with the report); text goes in as inline strings (spreadsheet-safe.ts).
 */
export async function streamingWorkbook(outFile: string): Promise<ExcelJS.stream.xlsx.WorkbookWriter> {
  await mkdir(path.dirname(path.resolve(outFile)), { recursive: true });
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    filename: outFile,
    useStyles: true,
    useSharedStrings: false,
  });
  workbook.creator = 'credit-etl';
  return workbook;
}
