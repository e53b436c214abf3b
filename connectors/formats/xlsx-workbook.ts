import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import ExcelJS from 'exceljs';
import yauzl from 'yauzl';
import { FileFormatError } from '../contracts.ts';
import { fileHead, isNotZipError, notZipKind, zipDamageText } from '../library-error-text.ts';
import type { Limits } from '../limits.ts';
import { withImpliedRefs } from './xlsx-implied-refs.ts';
import { type MergeRange, readMergeRanges } from './xlsx-merges.ts';
import {
  asWorkbookError,
  checkedPart,
  type PartLimits,
  partCutShort,
  partText,
  partTooLarge,
  rootClosed,
  sheetDefect,
} from './xlsx-part-text.ts';
import { RawCells } from './xlsx-raw-cells.ts';
import { readSharedStrings, SharedStrings } from './xlsx-shared-strings.ts';

/** One worksheet as exceljs' streaming reader gives it; its rows must be read (or drained) before the next. */
export interface WorkbookSheet {
  name: string | undefined;
  /** Its part in the zip (`xl/worksheets/sheet1.xml`), for messages. */
  part: string;
  hidden: boolean;
  rows: AsyncIterable<ExcelJS.Row>;
  /** The sheet's merged areas, from a pass of their own over the sheet's part of the file. */
  merges(): Promise<MergeRange[]>;
}

/** The part parsers of exceljs' streaming reader, which its type declarations leave out. */
interface ReaderInternals {
  _parseRels(part: Readable): Promise<void>;
  _parseWorkbook(part: Readable): Promise<void>;
  _parseStyles(part: Readable): Promise<void>;
  _parseWorksheet(
    part: AsyncIterable<string>,
    sheetNo: string,
  ): Iterable<{ eventType: string; value: unknown }>;
  properties?: { model?: { date1904?: boolean } };
  /** The workbook's sheets, once its part was parsed: undefined if its root was not `<workbook>` to exceljs. */
  model?: unknown;
  /** The styles, once their part was parsed: `model` undefined if its root was not `<styleSheet>` to exceljs. */
  styles?: { model?: unknown };
}
export interface SheetReader extends AsyncIterable<ExcelJS.Row> {
  name?: string;
  state?: string;
}

const SHEET_PART = /^xl\/worksheets\/sheet(\d+)\.xml$/;

/**
 * An .xlsx delivery opened for streaming. The bytes are first copied to a temporary file (a zip is read from its
 * central directory, out of order), which is unlinked as soon as it is open: nothing is left on disk whatever
 * happens to the load.
 *
 * The zip is read with yauzl, part by part, and each part is handed to exceljs' own parser for it (its
 * WorkbookReader would unzip the file itself, with unzipper), but for the shared strings, which exceljs misreads
 * and `readSharedStrings` reads. That way every byte parsed has passed
 * `partText`: the part's size is bounded (`CREDIT_ETL_MAX_SHEET_XML_BYTES`, stated sizes checked before any
 * byte is inflated, real ones while inflating) and so is one cell's text (`CREDIT_ETL_MAX_LINE_BYTES`), its bytes
 * are checked against its CRC-32 (`checkedPart`), a DOCTYPE (entity declarations, "billion laughs") is refused,
 * and the UTF-8 is decoded across chunk boundaries (exceljs 4.4 decodes each chunk on its own and turns a
 * Chinese character cut by a chunk into U+FFFD). A part whose XML stops before its root element's end tag fails
 * too (`rootClosed`: exceljs never closes its parser, and would keep the rows before the cut as if they were all).
 * Shared strings are read first, so no sheet is copied aside.
 */
export class XlsxWorkbook {
  /** Cells hold indexes into this table (`sharedStrings: 'emit'`): `readSharedStrings` fills it. */
  readonly sharedStrings = new SharedStrings();
  private readonly reader: ReaderInternals;
  private current: Readable | undefined;
  private closed = false;

  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly parts: Map<string, yauzl.Entry>,
    private readonly limits: PartLimits,
  ) {
    // Never read as a whole: its part parsers are given the parts one by one.
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([]), {
      sharedStrings: 'emit',
      // Styles are needed to tell a date cell from a number cell.
      styles: 'cache',
      hyperlinks: 'ignore',
      worksheets: 'emit',
    });
    this.reader = reader as unknown as ReaderInternals;
  }

  static async open(
    input: Readable,
    limits: Pick<Limits, 'maxSheetXmlBytes' | 'maxLineBytes'>,
  ): Promise<XlsxWorkbook> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'credit-etl-xlsx-'));
    const file = path.join(dir, 'delivery.xlsx');
    let zip: yauzl.ZipFile | undefined;
    try {
      await pipeline(input, createWriteStream(file));
      zip = await openZip(file);
      const parts = new Map<string, yauzl.Entry>();
      for await (const entry of zip.eachEntry()) {
        if (!/\.(xml|rels)$/i.test(entry.fileName)) continue;
        // The zip's own statement of the size: a bomb fails here, before a byte of it is inflated.
        if (entry.uncompressedSize > limits.maxSheetXmlBytes) {
          throw partTooLarge(entry.fileName, limits.maxSheetXmlBytes, entry.uncompressedSize);
        }
        parts.set(entry.fileName, entry);
      }
      const book = new XlsxWorkbook(zip, parts, {
        maxPartBytes: limits.maxSheetXmlBytes,
        maxTextBytes: limits.maxLineBytes,
      });
      await book.readWorkbookParts();
      return book;
    } catch (error) {
      zip?.close();
      throw asWorkbookError(error);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  date1904(): boolean {
    return this.reader.properties?.model?.date1904 === true;
  }

  /** The worksheets in the order of their parts in the zip. */
  async *sheets(): AsyncGenerator<WorkbookSheet> {
    for (const [name, entry] of this.parts) {
      const sheetNo = SHEET_PART.exec(name)?.[1];
      if (!sheetNo || this.closed) continue;
      this.current?.destroy();
      const part = await this.text(entry);
      this.current = part;
      // exceljs misreads some cells (inline text in runs, text decoded twice, logical formula results), and
      // cannot place one without a reference: each is given the one its place implies first.
      const raw = new RawCells(name, this.limits.maxTextBytes);
      const placed = withImpliedRefs(part, name, () => raw.sheet, this.limits.maxTextBytes);
      for (const event of this.reader._parseWorksheet(raw.watch(placed), sheetNo)) {
        if (event.eventType !== 'worksheet') continue;
        const sheet = event.value as SheetReader;
        raw.sheet = sheet.name;
        yield {
          name: sheet.name,
          part: name,
          hidden: sheet.state === 'hidden' || sheet.state === 'veryHidden',
          rows: rowsOf(sheet, raw, part, name),
          merges: () =>
            readMergeRanges(this.zip, entry).catch((error) =>
              Promise.reject(asWorkbookError(error, name, sheet.name)),
            ),
        };
      }
    }
  }

  /** Stops reading and lets go of the zip. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.current?.destroy();
    this.zip.close();
  }

  /** Relationships, workbook (sheet names, date system), styles (date formats), then the shared strings. */
  private async readWorkbookParts(): Promise<void> {
    const rels = this.parts.get('xl/_rels/workbook.xml.rels');
    if (rels) await this.parseWhole(rels, 'Relationships', (part) => this.reader._parseRels(part));
    const workbook = this.parts.get('xl/workbook.xml');
    if (!workbook) {
      throw new FileFormatError(
        'not-a-workbook',
        '文件不是有效的 Excel 工作簿（.xlsx）：缺少 xl/workbook.xml。旧版 .xls、WPS 的 .et 或改了扩展名的文件请用 Excel 另存为 .xlsx 后重新报送',
      );
    }
    await this.parseWhole(workbook, 'workbook', (part) => this.reader._parseWorkbook(part));
    // A root exceljs does not know (`<o:workbook>` of another namespace: `rootClosed` reads past any prefix) leaves
    // it nothing parsed, to fail each sheet later as a TypeError of its own: the part's defect, said of the part.
    if (this.reader.model === undefined) throw unknownRoot(workbook.fileName, 'workbook');
    const styles = this.parts.get('xl/styles.xml');
    if (styles) {
      await this.parseWhole(styles, 'styleSheet', (part) => this.reader._parseStyles(part));
      if (this.reader.styles?.model === undefined) throw unknownRoot(styles.fileName, 'styleSheet');
    }
    const strings = this.parts.get('xl/sharedStrings.xml');
    if (!strings) return;
    const part = await this.text(strings);
    try {
      // exceljs' own parser takes a phonetic guide for the text and drops CDATA.
      await readSharedStrings(part, this.sharedStrings, this.limits.maxTextBytes, strings.fileName);
    } catch (error) {
      part.destroy();
      // Read to its end, where the parser found elements left open: cut short.
      if (rootClosed(part, 'sst') === false)
        throw partCutShort(strings.fileName, `读到第${this.sharedStrings.size}个字符串后中断`);
      throw asWorkbookError(error, strings.fileName);
    }
  }

  /**
   * exceljs stops reading these parts at their root's end tag, short of the stream's end, where the CRC-32 is
   * checked: the rest (a newline, or nothing, or whatever a hostile file put after the root) is read here, so a
   * damaged part fails before it is relied on.
   */
  private async parseWhole(
    entry: yauzl.Entry,
    root: string,
    parse: (part: Readable) => Promise<void>,
  ): Promise<void> {
    const part = await this.text(entry);
    try {
      await parse(part);
    } catch (error) {
      // Never read to its end: the zip's descriptor is held until the part's stream is gone.
      part.destroy();
      throw asWorkbookError(error, entry.fileName);
    }
    // exceljs' listener would keep every chunk read past the root: the rest is only read for the check.
    part.removeAllListeners('data');
    part.resume();
    await finished(part);
    // exceljs also stops at the part's end, its root still open, and keeps what it read as if it were all.
    if (rootClosed(part, root) !== true) throw partCutShort(entry.fileName, '内容在中途中断');
  }

  private async text(entry: yauzl.Entry): Promise<Readable> {
    // yauzl may refuse the part before a byte of it is read (a compression method it does not know).
    const inflated = await checkedPart(this.zip, entry).catch((error: unknown) =>
      Promise.reject(asWorkbookError(error, entry.fileName)),
    );
    return partText(inflated, entry.fileName, this.limits);
  }
}

/**
 * A sheet's rows, the cells exceljs misread set right; what breaks while parsing them is the workbook's defect, and
 * so is a sheet whose XML stops before its end (`rootClosed`): its rows end there without a word from exceljs.
 * Row numbers strictly increase, as Excel writes them: a row stored twice (two `<row r="2">`, of which exceljs
 * would hand over both) or out of order (a row before the header read as data, gaps counted backwards) fails.
 * Only what reading the sheet throws is the file's: a fault of our own in setting cells right (a TypeError of
 * `repair`) passes as it is, an internal error, not blamed on the provider's file.
 */
export async function* rowsOf(
  sheet: SheetReader,
  raw: RawCells,
  text: Readable,
  part: string,
): AsyncGenerator<ExcelJS.Row> {
  const rows = sheet[Symbol.asyncIterator]();
  let previous = 0;
  // As `for await`: the reader is told to stop when its rows are left unread, not when it failed or ended.
  let ended = false;
  try {
    for (;;) {
      const next = await rows.next().catch((error: unknown) => {
        ended = true;
        throw asWorkbookError(error, part, sheet.name);
      });
      if (next.done) {
        ended = true;
        break;
      }
      const row = next.value;
      // A row still without `r` (NaN) has no cell: one with a cell was given its number (withImpliedRefs).
      if (!Number.isNaN(row.number)) {
        if (row.number <= previous) throw rowOutOfOrder(part, sheet.name, row.number, previous);
        // Past Excel's last row, and past what the warehouse's row numbers hold (r="3000000000").
        if (row.number > EXCEL_ROWS) throw rowPastExcel(part, sheet.name, row.number, previous);
        previous = row.number;
      }
      yield raw.repair(row);
    }
  } finally {
    if (!ended) await rows.return?.();
  }
  if (rootClosed(text, 'worksheet') !== true) {
    const stop = raw.lastRow === undefined ? '在第一行之前就中断了' : `在第${raw.lastRow}行之后中断`;
    throw partCutShort(part, stop, sheet.name);
  }
}

/** Excel's last row: 1,048,576. */
const EXCEL_ROWS = 1_048_576;

function rowPastExcel(part: string, sheet: string | undefined, row: number, previous: number): Error {
  const after = previous > 0 ? `第${previous}行之后的一行` : '第一行';
  return sheetDefect(part, sheet, `${after}行号为 ${row}，超出 Excel 的最大行号 ${EXCEL_ROWS}`);
}

/** A part whose root element exceljs did not take for its own (`<workbook>`, `<styleSheet>`). */
function unknownRoot(part: string, root: string): FileFormatError {
  return sheetDefect(
    part,
    undefined,
    `根元素不是 Excel 的 <${root}>（可能带有其他命名空间的前缀），其内容无法读取`,
  );
}

function rowOutOfOrder(part: string, sheet: string | undefined, row: number, previous: number): Error {
  if (row < 1) return sheetDefect(part, sheet, `第${previous}行之后的一行行号为 ${row}（行号从 1 开始）`);
  if (row === previous) return sheetDefect(part, sheet, `第${row}行的行号重复：有两行都标为第${row}行`);
  return sheetDefect(part, sheet, `第${row}行的行号倒序：排在第${previous}行之后`);
}

async function openZip(file: string): Promise<yauzl.ZipFile> {
  try {
    return await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  } catch (error) {
    throw notAWorkbook(error, await fileHead(file));
  }
}

const SAVE_AS = '旧版 .xls 或改了扩展名的文件请用 Excel 另存为 .xlsx 后重新报送';

/** A file yauzl cannot open as a zip (an .xlsx is one): what it is instead, or what is broken, for the provider. */
function notAWorkbook(error: unknown, head: Buffer | undefined): FileFormatError {
  const [what, todo] = ((): [string, string] => {
    if (!isNotZipError(error))
      return [`文件的 zip 结构已损坏（${zipDamageText(error) ?? '无法读取'}）`, '请从原文件重新报送'];
    const found = notZipKind(head);
    if (found.kind === 'empty') return ['文件是空的（0 字节）', '请检查导出的文件后重新报送'];
    if (found.kind === 'truncated')
      return [
        '文件不完整（.xlsx 实为 zip 格式，文件末尾的目录记录缺失），多为上传、下载或复制中途中断',
        '请从原文件重新报送（报送前可先用 Excel 打开确认文件完好）',
      ];
    if (found.kind === 'other') return [`文件内容是 ${found.what}，不是 .xlsx 工作簿`, SAVE_AS];
    return ['文件内容不是 .xlsx 工作簿（可能是 CSV、文本、网页等文件改了扩展名）', SAVE_AS];
  })();
  return new FileFormatError(
    'not-a-workbook',
    `文件不是有效的 Excel 工作簿（.xlsx）：${what}，整个文件未入库。${todo}`,
    { cause: error },
  );
}
