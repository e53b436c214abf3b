import { createRequire } from 'node:module';
import { PassThrough, type Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { drainedOrGone, openReportFile } from './report-file.ts';

/**
 * The workbook being written; `discard()` for a report that stops before its commit (a query failed);
 * `drained()` to await between pages of rows, so the rows wait for the zip instead of piling up in memory.
 */
export type StreamingWorkbook = ExcelJS.stream.xlsx.WorkbookWriter & {
  discard(): Promise<void>;
  /**
   * Resolves once the zip has taken the sheet XML written so far (all but `ZIP_BACKLOG_BYTES` of it); rejects
   * as `commit()` does when the file cannot be written. A writer awaits it between pages of rows: rows are
   * committed synchronously, so nothing else lets the zip catch up.
   */
  drained(): Promise<void>;
};

/** Sheet XML one zip entry may hold, not yet compressed, before `drained()` waits: ~500 rejected rows. */
export const ZIP_BACKLOG_BYTES = 1024 * 1024;

/**
 * A workbook written row by row to `outFile` (its folder created): memory stays flat however many rows a report
 * has, as long as its writer awaits `drained()` between pages. No shared-strings table (it would grow with the
 * report); text goes in as inline strings (spreadsheet-safe.ts).
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
  // Settled only through commit() or drained(): a report that stops earlier (its query failed) leaves no
  // unhandled rejection.
  failed.catch(() => {});
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: file.stream,
    useStyles: true,
    useSharedStrings: false,
  }) as StreamingWorkbook;
  workbook.creator = 'credit-etl';
  const entries = feedZipThroughOwnStreams(workbook);
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
  workbook.drained = async () => {
    for (const entry of entries) {
      // An entry queued behind the one being zipped (a sheet's notes, a later sheet) is not read before its
      // turn: waiting for it would wait forever. Only the entry being read (piped: flowing or paused) drains.
      if (entry.readableFlowing !== null && entry.writableNeedDrain)
        await Promise.race([drainedOrGone(entry), failed]);
    }
  };
  return workbook;
}

/** exceljs' buffer of one zip entry (lib/utils/stream-buf.js): what its sheet and notes writers write to. */
interface EntryBuffer extends NodeJS.EventEmitter {
  pipe(destination: Writable): void;
}
const EntryBuffer = createRequire(import.meta.url)('exceljs/lib/utils/stream-buf.js') as new (options: {
  bufSize: number;
  batch: boolean;
}) => EntryBuffer;

/** The part of exceljs' WorkbookWriter (lib/stream/xlsx/workbook-writer.js) that opens a zip entry. */
interface ZipEntries {
  zip: { append(source: NodeJS.ReadableStream, data: { name: string }): unknown };
  _openStream(entryPath: string): EntryBuffer;
}

/**
 * Opens the workbook's zip entries as exceljs does, but with a stream of ours between its buffer and the zip, and
 * returns the entries still being written. exceljs' buffer hands each 64 KB of XML to the zip without looking at
 * write()'s answer, so rows committed faster than the zip compresses them (a page of rows between two awaits gives
 * it one turn of the event loop) piled up uncompressed: ~2 KB a rejected row, 2 GB at a million rows. Through
 * our stream that backlog can be seen, and waited for (`drained()`).
 */
function feedZipThroughOwnStreams(workbook: ExcelJS.stream.xlsx.WorkbookWriter): Set<PassThrough> {
  const writer = workbook as unknown as ZipEntries;
  const entries = new Set<PassThrough>();
  writer._openStream = (entryPath) => {
    const buffer = new EntryBuffer({ bufSize: 65536, batch: true });
    const entry = new PassThrough({ highWaterMark: ZIP_BACKLOG_BYTES });
    buffer.pipe(entry);
    writer.zip.append(entry, { name: entryPath });
    // exceljs waits for 'zipped' to commit its sheets (it means "ended": the zip may still be reading it).
    buffer.on('finish', () => buffer.emit('zipped'));
    entries.add(entry);
    entry.once('end', () => entries.delete(entry));
    entry.once('close', () => entries.delete(entry));
    return buffer;
  };
  return entries;
}
