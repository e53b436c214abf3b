import { createWriteStream } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import ExcelJS from 'exceljs';
import yauzl from 'yauzl';
import { FileFormatError } from '../contracts.ts';
import { type MergeRange, readMergeRanges } from './xlsx-merges.ts';
import { SharedStrings } from './xlsx-shared-strings.ts';

/** One worksheet as exceljs' streaming reader gives it; its rows must be read (or drained) before the next. */
export interface WorkbookSheet {
  name: string | undefined;
  hidden: boolean;
  rows: AsyncIterable<ExcelJS.Row>;
  /** The sheet's merged areas, from a pass of their own over the sheet's part of the file. */
  merges(): Promise<MergeRange[]>;
}

/** The parts of exceljs' streaming reader its type declarations leave out. */
interface ReaderInternals {
  parse(): AsyncIterable<unknown>;
  on(event: 'entry', listener: (entry: { type?: string; id?: string }) => void): void;
  properties?: { model?: { date1904?: boolean } };
}
interface SheetReader extends AsyncIterable<ExcelJS.Row> {
  name?: string;
  state?: string;
  /** The sheet's XML as it streams (a temporary file's stream when exceljs deferred the sheet). */
  iterator?: { destroy?(): void };
}

/**
 * An .xlsx delivery opened for streaming. The bytes are first copied to a temporary file (a zip can only be
 * read twice, or out of order, from a file), which is unlinked as soon as it is open: nothing is left on disk
 * whatever happens to the load. exceljs reads the rows from one descriptor; the merged areas, which Excel writes
 * after the rows, are read from the other before the rows.
 */
export class XlsxWorkbook {
  /** Cells hold indexes into this table: `sharedStrings: 'emit'` leaves the keeping to us. */
  readonly sharedStrings = new SharedStrings();
  private readonly reader: ReaderInternals;
  private readonly input: Readable;
  private readonly events: AsyncIterator<unknown>;
  private current: SheetReader | undefined;
  private closed = false;

  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly parts: Map<string, yauzl.Entry>,
    handle: FileHandle,
  ) {
    this.input = handle.createReadStream({ start: 0, highWaterMark: 256 * 1024 });
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(this.input, {
      sharedStrings: 'emit',
      // Styles are needed to tell a date cell from a number cell.
      styles: 'cache',
      hyperlinks: 'ignore',
      worksheets: 'emit',
      // The worksheet entry events name each sheet's part (`sheet3.xml`), which the sheet reader forgets.
      entries: 'emit',
    });
    this.reader = reader as unknown as ReaderInternals;
    this.events = this.reader.parse()[Symbol.asyncIterator]();
  }

  static async open(input: Readable): Promise<XlsxWorkbook> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'credit-etl-xlsx-'));
    const file = path.join(dir, 'delivery.xlsx');
    try {
      await pipeline(input, createWriteStream(file));
      const zip = await openZip(file);
      const parts = new Map<string, yauzl.Entry>();
      for await (const entry of zip.eachEntry()) {
        if (/^xl\/worksheets\/sheet\d+\.xml$/.test(entry.fileName)) parts.set(entry.fileName, entry);
      }
      return new XlsxWorkbook(zip, parts, await fs.open(file, 'r'));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  date1904(): boolean {
    return this.reader.properties?.model?.date1904 === true;
  }

  /** The worksheets in the workbook's order; shared strings are taken in on the way. */
  async *sheets(): AsyncGenerator<WorkbookSheet> {
    let part: string | undefined;
    this.reader.on('entry', (entry) => {
      if (entry.type === 'worksheet') part = `xl/worksheets/sheet${entry.id}.xml`;
    });
    for (let next = await this.events.next(); !next.done; next = await this.events.next()) {
      const sheet = this.take(next.value);
      if (!sheet) continue;
      this.current = sheet;
      const entry = part ? this.parts.get(part) : undefined;
      yield {
        name: sheet.name,
        hidden: sheet.state === 'hidden' || sheet.state === 'veryHidden',
        rows: sheet,
        merges: async () => (entry ? readMergeRanges(this.zip, entry) : []),
      };
    }
  }

  /** Keeps a shared string, or returns the worksheet an event carries. */
  private take(event: unknown): SheetReader | undefined {
    if (!event || typeof event !== 'object') return undefined;
    // exceljs 4.4 yields each emitted shared string bare ({index, text}), not as an event.
    if ('index' in event && 'text' in event) {
      this.sharedStrings.push(event.text);
      return undefined;
    }
    if (!('eventType' in event) || !('value' in event)) return undefined;
    if (event.eventType === 'shared-strings') {
      this.sharedStrings.push((event.value as { text?: unknown } | undefined)?.text);
      return undefined;
    }
    return event.eventType === 'worksheet' ? (event.value as SheetReader) : undefined;
  }

  /** Stops reading; the temporary copies are gone once the close has run its course in the background. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.zip.close();
    this.finish()
      .catch(() => undefined)
      .finally(() => this.input.destroy());
  }

  /**
   * exceljs copies each sheet to a temporary file of its own and deletes it only when asked for the next event
   * after it: ask until the end, closing each later sheet's file unread, so nothing is left in the temp folder.
   */
  private async finish(): Promise<void> {
    this.current?.iterator?.destroy?.();
    for (let next = await this.events.next(); !next.done; next = await this.events.next()) {
      this.take(next.value)?.iterator?.destroy?.();
    }
  }
}

async function openZip(file: string): Promise<yauzl.ZipFile> {
  try {
    return await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  } catch (error) {
    throw new FileFormatError(
      'not-a-workbook',
      `文件不是有效的 Excel 工作簿（.xlsx）：${(error as Error).message}。旧版 .xls 或改了扩展名的文件请用 Excel 另存为 .xlsx 后重新报送`,
    );
  }
}
