import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';

/**
 * A workbook written row by row to `outFile` (its folder created): memory stays flat however many rows a report
 * has. No shared-strings table (it would grow with the report); text goes in as inline strings (spreadsheet-safe.ts).
 *
 * The file stream is ours, not exceljs's: a write that fails (a full disk, /dev/full, no permission) makes
 * `commit()` reject naming the file. exceljs only listens for it once it finalizes, by when the zip has stopped
 * feeding a stream that errored, so its own `commit()` never settled (the command hung, or ended with exit 13 and
 * no message). What was written before the failure stays, as the CSV writers leave theirs.
 */
export async function streamingWorkbook(outFile: string): Promise<ExcelJS.stream.xlsx.WorkbookWriter> {
  await mkdir(path.dirname(path.resolve(outFile)), { recursive: true });
  const out = createWriteStream(outFile);
  const failed = new Promise<never>((_, reject) => {
    out.on('error', (error) =>
      reject(new Error(`cannot write ${outFile}: ${error.message}`, { cause: error })),
    );
  });
  // Settled only through commit(): a report that stops earlier (its query failed) leaves no unhandled rejection.
  failed.catch(() => {});
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: out,
    useStyles: true,
    useSharedStrings: false,
  });
  workbook.creator = 'credit-etl';
  const commit = workbook.commit.bind(workbook);
  workbook.commit = () => Promise.race([commit(), failed]);
  return workbook;
}
