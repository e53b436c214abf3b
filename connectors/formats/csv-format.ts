import type { Readable } from 'node:stream';
import Papa from 'papaparse';
import {
  type Encoding,
  FileFormatError,
  type Format,
  type FormatOptions,
  type RowStream,
  type SourceRow,
} from '../contracts.ts';
import { type Limits, readLimits } from '../limits.ts';
import { WHOLE_ROW } from '../row-error.ts';
import {
  countLineBreaks,
  decodedText,
  detectNewline,
  lineTooLong,
  tooManyCells,
  withCellCount,
} from './csv-rows.ts';
import { UNDECODABLE } from './decode-text.ts';

const BATCH_ROWS = 2000;
const MAX_QUEUED_BATCHES = 4;

/** CSV with a header row (papaparse, streaming; see README "Design notes" for why papaparse). */
export const csvFormat: Format = {
  name: 'csv',
  async open(input, options: FormatOptions): Promise<RowStream> {
    return (await openCsv(input, options)).rows;
  },
};

/** How a CSV file is read, decided once from its start: what every chunk of it is read with (csv-chunks.ts). */
export interface CsvLayout {
  encoding: Exclude<Encoding, 'auto'>;
  delimiter: string;
  newline: '\r\n' | '\n' | '\r';
  header: string[];
}

/**
 * What the planning pass of a chunked load watches (csv-chunks.ts): every piece of decoded text before the parser
 * sees it, and where each record ends (the parser's cursor, in characters of that text).
 */
export interface CsvObserver {
  /** `newline`: the line break records end with, decided from the start of the file. */
  onText(text: string, newline: string): void;
  onRecord(rowNumber: number, endChar: number, nextLine: number): void;
}

/**
 * The CSV format's reader, with the layout it decided on, optionally watched record by record. `rowNumberOf`:
 * the file row number of the input's `n`th record, when the input holds only some of the file's records (the
 * ones a skim left, csv-skim.ts); by default the records are the file's, counted from 1.
 */
export async function openCsv(
  input: Readable,
  options: FormatOptions,
  observer?: CsvObserver,
  rowNumberOf?: (record: number) => number,
): Promise<{ rows: RowStream; layout: CsvLayout }> {
  const { decoded, firstText, text } = await decodedText(input, options.encoding);
  const headerAt = options.headerRow ?? 1;
  const delimiter =
    options.delimiter && options.delimiter !== 'auto'
      ? options.delimiter
      : detectDelimiter(afterLines(firstText, headerAt - 1));
  const limits = { ...readLimits(), ...options.limits };
  const newline = detectNewline(firstText);
  const rows = parseRows(
    text,
    newline,
    delimiter,
    decoded.encoding,
    limits,
    FILE_START,
    observer,
    rowNumberOf,
  );
  const iterator = rows[Symbol.asyncIterator]();
  // Title rows above a declared header row are not data: they are passed over.
  let headerRow: SourceRow | undefined;
  let firstRows: SourceRow[] = [];
  let records = 0;
  while (!headerRow) {
    const next = await iterator.next();
    if (next.done) break;
    const at = next.value.rows.findIndex((row) => row.rowNumber === headerAt);
    records += next.value.rows.length;
    if (at < 0) continue;
    headerRow = next.value.rows[at];
    firstRows = next.value.rows.slice(at + 1);
  }
  if (!headerRow) {
    if (records === 0) {
      throw new FileFormatError('empty-file', '文件为空：第1行应为表头（目录规定的列名），其后为数据行');
    }
    throw new FileFormatError(
      'header-not-found',
      `文件只有${records}行，没有第${headerAt}行：按约定第${headerAt}行应为表头，请检查文件是否完整`,
    );
  }
  const header = headerRow.cells;
  if (options.headerRow !== undefined && header.every((cell) => cell.trim() === '')) {
    throw new FileFormatError('header-not-found', `第${headerAt}行是空行，不能作为表头`);
  }
  return {
    rows: dataRows(iterator, firstRows, header, decoded.encoding),
    layout: { encoding: decoded.encoding, delimiter, newline, header },
  };
}

/**
 * The rows of one chunk of a CSV file: decoded text that starts at a record boundary after the header (the
 * planning pass found it, csv-chunks.ts), read with the file's layout and counted on from the file row number
 * and physical line its first record has. The same parser and checks as the whole file's, so each row is the
 * row the single-worker load reads.
 */
export function openCsvChunk(
  text: Readable,
  layout: CsvLayout,
  start: { rowNumber: number; line: number },
  limits: Partial<Limits> = {},
): RowStream {
  const rows = parseRows(
    text,
    layout.newline,
    layout.delimiter,
    layout.encoding,
    {
      ...readLimits(),
      ...limits,
    },
    { rowNumber: start.rowNumber - 1, line: start.line },
  );
  return dataRows(rows[Symbol.asyncIterator](), [], layout.header, layout.encoding);
}

/**
 * A line with nothing in it: empty, spaces only (a stray space on an empty line), or only delimiters (Excel's
 * CSV export writes `,,,,,` for an empty row it kept formatting on). It holds no data, so it is not a row with
 * every field missing but a blank line, as an empty row is in a workbook.
 */
function isBlankLine(cells: readonly string[]): boolean {
  return cells.every((cell) => cell === '' || WHITESPACE_ONLY.test(cell));
}

const WHITESPACE_ONLY = /^\s+$/;

/** The data rows after the header: blank lines counted and skipped, each row's cell count checked. */
function dataRows(
  iterator: AsyncIterator<ParsedBatch>,
  firstRows: SourceRow[],
  header: string[],
  encoding: string,
): RowStream {
  let blankLines = 0;
  async function* batches(): AsyncGenerator<SourceRow[]> {
    let pending = firstRows;
    for (;;) {
      const checked = pending.filter((row) => {
        if (isBlankLine(row.cells)) {
          blankLines++;
          return false;
        }
        return true;
      });
      if (checked.length > 0) yield checked.map((row) => withCellCount(row, header.length));
      const next = await iterator.next();
      if (next.done) return;
      pending = next.value.rows;
    }
  }
  return { header, encoding, batches: batches(), stats: () => ({ blankLines }) };
}

/** Where a whole file's parse starts counting: no record read yet, on physical line 1. */
const FILE_START = { rowNumber: 0, line: 1 };

interface ParsedBatch {
  rows: SourceRow[];
}

/**
 * Papaparse's step callback turned into an async stream of batches, pausing the parser when we lag.
 *
 * Papaparse keeps an unfinished record in memory (and parses it again with every chunk), so after each chunk
 * the record it holds unfinished is measured: the text fed to it past the end of the last record it finished.
 * That counts every byte of a record (as UTF-8), quoted line breaks included: a 64 MB line fails once its first
 * 4 MB (`maxLineBytes`) and one chunk more have streamed by, never held whole.
 */
function parseRows(
  text: Readable,
  newline: string,
  delimiter: string,
  encoding: string,
  limits: Pick<Limits, 'maxLineBytes' | 'maxCellsPerRow'>,
  start: { rowNumber: number; line: number },
  observer?: CsvObserver,
  rowNumberOf?: (record: number) => number,
): AsyncIterable<ParsedBatch> {
  const queue: ParsedBatch[] = [];
  let current: SourceRow[] = [];
  let rowNumber = start.rowNumber;
  let records = 0;
  let line = start.line;
  let done = false;
  let failure: Error | undefined;
  /** Characters of text fed to papaparse, where its last finished record ended, and the bytes after it. */
  let fedChars = 0;
  let recordEnd = 0;
  let unfinishedBytes = 0;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const fail = (error: Error) => {
    failure ??= error;
    done = true;
    text.destroy();
    notify();
  };
  const flush = () => {
    if (current.length > 0) queue.push({ rows: current });
    current = [];
    // Backpressure on the text stream, not on the parser: papaparse's own pause/resume is fragile.
    if (queue.length >= MAX_QUEUED_BATCHES) text.pause();
    notify();
  };
  // Before papaparse's own listener: the observer has seen every piece of text a record can end in.
  if (observer) text.on('data', (piece: string) => observer.onText(piece, newline));
  Papa.parse<string[]>(text as unknown as File, {
    newline: newline as Papa.ParseConfig['newline'],
    delimiter,
    skipEmptyLines: false,
    step(results, stepParser) {
      if (done) {
        stepParser.abort();
        return;
      }
      const recordChars = results.meta.cursor - recordEnd;
      recordEnd = results.meta.cursor;
      records++;
      rowNumber = rowNumberOf ? rowNumberOf(records) : rowNumber + 1;
      const cells = results.data;
      // A record that began and ended within one chunk was never measured unfinished.
      if (recordChars * 3 > limits.maxLineBytes && recordBytes(cells, recordChars) > limits.maxLineBytes) {
        stepParser.abort();
        fail(lineTooLong(line, rowNumber, limits.maxLineBytes));
        return;
      }
      if (cells.length > limits.maxCellsPerRow) {
        stepParser.abort();
        fail(tooManyCells(rowNumber, cells.length, limits.maxCellsPerRow));
        return;
      }
      // Nearly every row has no error: skip the searches (and their closures) then.
      const errors = results.errors.length > 0 ? results.errors : undefined;
      const unterminated = errors?.find((error) => error.code === 'MissingQuotes');
      if (unterminated) {
        stepParser.abort();
        fail(
          new FileFormatError(
            'unterminated-quote',
            `文件第${line}行（第${rowNumber}条记录）开始的引号没有闭合，之后的内容无法读取，请检查该行的双引号`,
          ),
        );
        return;
      }
      const malformed = errors?.find((error) => error.type === 'Quotes');
      const undecodable = undecodableCell(cells);
      current.push(
        malformed
          ? {
              rowNumber,
              cells,
              problem: {
                field: WHOLE_ROW,
                code: 'malformed-quotes',
                message: `第${rowNumber}行的引号不成对或位置错误，请检查该行的双引号`,
              },
            }
          : undecodable !== undefined
            ? { rowNumber, cells, problem: undecodableProblem(rowNumber, cells, undecodable, encoding) }
            : { rowNumber, cells },
      );
      line += 1 + countLineBreaks(cells);
      observer?.onRecord(rowNumber, results.meta.cursor, line);
      if (current.length >= BATCH_ROWS) flush();
    },
    complete() {
      if (done) return;
      flush();
      done = true;
      notify();
    },
    error(error) {
      fail(error);
    },
  });
  // Registered after papaparse's own listener, which parses each chunk as it comes (its steps move `recordEnd`):
  // what is left of the text fed so far is the record papaparse holds unfinished.
  text.on('data', (chunk: string) => {
    fedChars += chunk.length;
    const unfinished = fedChars - recordEnd;
    unfinishedBytes =
      unfinished > chunk.length
        ? unfinishedBytes + Buffer.byteLength(chunk)
        : Buffer.byteLength(unfinished === chunk.length ? chunk : chunk.slice(chunk.length - unfinished));
    if (unfinishedBytes > limits.maxLineBytes && !done) {
      fail(lineTooLong(line, rowNumber + 1, limits.maxLineBytes));
    }
  });
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          const batch = queue.shift();
          if (batch) {
            if (queue.length < MAX_QUEUED_BATCHES && text.isPaused()) text.resume();
            yield batch;
            continue;
          }
          if (failure) throw failure;
          if (done) return;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      } finally {
        text.destroy();
      }
    },
  };
}

/** A record's bytes as UTF-8: its cells', and the separators and quotes around them (ASCII, one byte each). */
function recordBytes(cells: string[], chars: number): number {
  let bytes = chars;
  for (const cell of cells) bytes += Buffer.byteLength(cell) - cell.length;
  return bytes;
}

/** The first cell holding the replacement character, if any. */
function undecodableCell(cells: string[]): string | undefined {
  for (const cell of cells) if (cell.includes(UNDECODABLE)) return cell;
  return undefined;
}

function undecodableProblem(rowNumber: number, cells: string[], cell: string, encoding: string) {
  return {
    field: WHOLE_ROW,
    code: 'undecodable-bytes',
    message: `第${rowNumber}行第${cells.indexOf(cell) + 1}列含有无法按 ${encoding} 编码解码的字节（显示为 ${UNDECODABLE}），该行未入库：请确认文件编码（UTF-8 或 GB18030/GBK）后重新导出，或用 --encoding 指定编码`,
    value: cell,
  };
}

/** The text after its first `count` lines (line breaks inside quotes do not end a line). */
function afterLines(text: string, count: number): string {
  let quoted = false;
  let skipped = 0;
  for (let i = 0; i < text.length && skipped < count; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || (c === '\r' && text[i + 1] !== '\n'))) {
      skipped++;
      if (skipped === count) return text.slice(i + 1);
    }
  }
  return skipped === count ? text : '';
}

const DELIMITER_CANDIDATES = [',', '\t', ';', '|'] as const;

/** The separator the header line uses most (outside quotes); a comma when it has none of them. */
export function detectDelimiter(text: string): string {
  const counts = new Map<string, number>(DELIMITER_CANDIDATES.map((candidate) => [candidate, 0]));
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) break;
    else if (!quoted && counts.has(c)) counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let best = ',';
  for (const candidate of DELIMITER_CANDIDATES) {
    if ((counts.get(candidate) ?? 0) > (counts.get(best) ?? 0)) best = candidate;
  }
  return best;
}
