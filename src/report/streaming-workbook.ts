import ExcelJS from 'exceljs';
import { openReportFile } from './report-file.ts';

/** The workbook being written; `discard()` for a report that stops before its commit (a query failed). */
export type StreamingWorkbook = ExcelJS.stream.xlsx.WorkbookWriter & { discard(): Promise<void> };

/**
 * A workbook written row by row to `outFile` (its folder created): memory stays flat however many rows a report
 * has. No shared-strings table (it would grow with the report); text goes in as inline strings (spreadsheet-safe.ts).
 *
 * The file stream is ours, not exceljs's (report-file.ts): a write that fails (a full disk, /dev/full, no
 * permission) makes `commit()` reject naming the file. exceljs only listens for it once it finalizes, by when the
 * zip has stopped feeding a stream that errored, so its own `commit()` never settled (the command hung, or ended
 * with exit 13 and no message). The workbook goes under a temporary name renamed into place by `commit()`; a
 * failed commit, or `discard()`, removes it: no half workbook is left.
 */
export async function streamingWorkbook(outFile: string): Promise<StreamingWorkbook> {
  const file = await openReportFile(outFile);
  const failed = new Promise<never>((_, reject) => {
    file.stream.on('error', (error) =>
      reject(new Error(`cannot write ${outFile}: ${error.message}`, { cause: error })),
    );
  });
  // Settled only through commit(): a report that stops earlier (its query failed) leaves no unhandled rejection.
  failed.catch(() => {});
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: file.stream,
    useStyles: true,
    useSharedStrings: false,
  }) as StreamingWorkbook;
  workbook.creator = 'credit-etl';
  const commit = workbook.commit.bind(workbook);
  workbook.commit = async () => {
    try {
      const committed = await Promise.race([commit(), failed]);
      await file.close();
      return committed;
    } catch (error) {
      await file.discard();
      throw error;
    }
  };
  workbook.discard = file.discard;
  return workbook;
}
