import type { Readable } from 'node:stream';
import {
  type Encoding,
  FileFormatError,
  type Format,
  type FormatOptions,
  type RowStream,
  type SourceRow,
} from '../contracts.ts';
import { type Limits, readLimits } from '../limits.ts';
import { CsvRecordReader } from './csv-records.ts';
import {
  countLineBreaks,
  decodedText,
  lineTooLong,
  quoteFailure,
  strayQuoteProblem,
  tooManyCells,
  withCellCount,
} from './csv-rows.ts';
import { undecodableCell, undecodableHeader, undecodableProblem } from './undecodable-text.ts';

export { UNDECODABLE_OPERATOR_NOTE } from './undecodable-text.ts';

const BATCH_ROWS = 2000;
const MAX_QUEUED_BATCHES = 4;

/** CSV with a header row, read streaming by the rules Excel opens it by (csv-records.ts). */
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
  header: string[];
}

/**
 * What the planning pass of a chunked load watches (csv-chunks.ts): every piece of decoded text before the parser
 * sees it, and where each record ends (the parser's cursor, in characters of that text).
 */
export interface CsvObserver {
  onText(text: string): void;
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
      : detectDelimiter(firstText, headerAt);
  const limits = { ...readLimits(), ...options.limits };
  const rows = parseRows(
    text,
    delimiter,
    decoded.encoding,
    limits,
    FILE_START,
    headerAt,
    observer,
    rowNumberOf,
  );
  const iterator = rows[Symbol.asyncIterator]();
  try {
    const { header, firstRows } = await headerOf(iterator, headerAt, options.headerRow !== undefined);
    // Column names with bytes the encoding cannot decode would fail as unknown columns, `�` in their names.
    const undecodable = undecodableHeader(headerAt, header, decoded.encoding);
    if (undecodable) throw undecodable;
    return {
      rows: { ...dataRows(iterator, firstRows, header, decoded.encoding), headerRow: headerAt },
      layout: { encoding: decoded.encoding, delimiter, header },
    };
  } catch (error) {
    // The rest of the file is never read: the parse stops and lets the input go.
    await iterator.return?.();
    throw error;
  }
}

/** The header row's cells and the rows read after it; title rows above a declared header row are passed over. */
async function headerOf(
  iterator: AsyncIterator<ParsedBatch>,
  headerAt: number,
  declared: boolean,
): Promise<{ header: string[]; firstRows: SourceRow[] }> {
  let records = 0;
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    const at = next.value.rows.findIndex((row) => row.rowNumber === headerAt);
    records += next.value.rows.length;
    if (at < 0) continue;
    const header = (next.value.rows[at] as SourceRow).cells;
    if (declared && header.every((cell) => cell.trim() === '')) {
      throw new FileFormatError('header-not-found', `第${headerAt}行是空行，不能作为表头`);
    }
    return { header, firstRows: next.value.rows.slice(at + 1) };
  }
  if (records === 0) {
    throw new FileFormatError('empty-file', '文件为空：第1行应为表头（目录规定的列名），其后为数据行');
  }
  throw new FileFormatError(
    'header-not-found',
    `文件只有${records}行，没有第${headerAt}行：按约定第${headerAt}行应为表头，请检查文件是否完整`,
  );
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
    layout.delimiter,
    layout.encoding,
    { ...readLimits(), ...limits },
    { rowNumber: start.rowNumber - 1, line: start.line },
    layout.header,
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
 * The records of the text (csv-records.ts) as an async stream of batches, pausing the text when we lag.
 *
 * A record the text fed so far does not finish is kept and read again, from its start, with the next piece of
 * text; its size is measured after each piece. That counts every byte of a record (as UTF-8), quoted line breaks
 * included: a 64 MB line fails once its first 4 MB (`maxLineBytes`) and one piece more have streamed by, never held
 * whole. `header`: the header's cells, or the row number of the record that is the header (its cells name the
 * columns in messages).
 */
function parseRows(
  text: Readable,
  delimiter: string,
  encoding: string,
  limits: Pick<Limits, 'maxLineBytes' | 'maxCellsPerRow'>,
  start: { rowNumber: number; line: number },
  header: readonly string[] | number,
  observer?: CsvObserver,
  rowNumberOf?: (record: number) => number,
): AsyncIterable<ParsedBatch> {
  const queue: ParsedBatch[] = [];
  let current: SourceRow[] = [];
  let rowNumber = start.rowNumber;
  let records = 0;
  let line = start.line;
  let columns = typeof header === 'number' ? undefined : header;
  let done = false;
  let failure: Error | undefined;
  const reader = new CsvRecordReader(delimiter);
  /** The text after the last record read (the start of one not finished yet), and the characters before it. */
  let pending = '';
  let consumed = 0;
  let pendingBytes = 0;
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
    if (queue.length >= MAX_QUEUED_BATCHES) text.pause();
    notify();
  };
  /** One record read, ending `recordChars` characters after the last: a row, or the file's failure. */
  const onRecord = (recordChars: number, endChar: number): void => {
    records++;
    rowNumber = rowNumberOf ? rowNumberOf(records) : rowNumber + 1;
    const cells = reader.cells;
    // A record that began and ended within one piece of text was never measured unfinished.
    if (recordChars * 3 > limits.maxLineBytes && recordBytes(cells, recordChars) > limits.maxLineBytes) {
      fail(lineTooLong(line, rowNumber, limits.maxLineBytes));
      return;
    }
    if (cells.length > limits.maxCellsPerRow) {
      fail(tooManyCells(rowNumber, cells.length, limits.maxCellsPerRow));
      return;
    }
    if (reader.failure) {
      fail(quoteFailure(reader.failure, cells, reader.failedCell, line, rowNumber));
      return;
    }
    if (rowNumber === header) columns = cells;
    const undecodable = reader.strayQuote < 0 ? undecodableCell(cells) : -1;
    current.push(
      reader.strayQuote >= 0
        ? {
            rowNumber,
            cells,
            problem: strayQuoteProblem(rowNumber, cells, reader.strayQuote, columns),
            // Past the header's last column (or before the header is read) the cell is no field's: the whole row.
            ...(columns && reader.strayQuote < columns.length ? { problemCell: reader.strayQuote } : {}),
          }
        : undecodable >= 0
          ? {
              rowNumber,
              cells,
              problem: undecodableProblem(rowNumber, cells, undecodable, columns, encoding),
              // Past the header's last column the cell is no field's: the row as a whole is rejected.
              ...(columns && undecodable < columns.length ? { problemCell: undecodable } : {}),
            }
          : { rowNumber, cells },
    );
    line += 1 + countLineBreaks(cells);
    observer?.onRecord(rowNumber, endChar, line);
    if (current.length >= BATCH_ROWS) flush();
  };
  const read = (piece: string, final: boolean): void => {
    const input = pending.length > 0 ? pending + piece : piece;
    reader.begin(input, final);
    let at = 0;
    for (let end = reader.read(at); end >= 0 && !done; end = reader.read(at)) {
      onRecord(end - at, consumed + end);
      at = end;
    }
    if (done) return;
    consumed += at;
    pending = at === 0 ? input : input.slice(at);
    pendingBytes = at === 0 ? pendingBytes + Buffer.byteLength(piece) : Buffer.byteLength(pending);
    if (pendingBytes > limits.maxLineBytes) fail(lineTooLong(line, rowNumber + 1, limits.maxLineBytes));
  };
  text.on('data', (piece: string) => {
    if (done) return;
    // The observer has seen every piece of text before a record ending in it is reported.
    observer?.onText(piece);
    read(piece, false);
  });
  text.on('end', () => {
    if (done) return;
    read('', true);
    if (done) return;
    flush();
    done = true;
    notify();
  });
  text.on('error', (error: Error) => {
    if (!done) fail(error);
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

const DELIMITER_CANDIDATES = [',', '\t', ';', '|'] as const;

/**
 * The separator the header line (record `headerRow`) is split by most, read by the reader's own rules
 * (csv-records.ts) with each candidate in turn, so that a quote opens a quoted cell only at a cell's start and a
 * title line above the header (`报送单位："某局`) is passed over as the reader will pass it over. A comma when
 * none splits it, or when the text does not reach the header.
 */
export function detectDelimiter(text: string, headerRow = 1): string {
  let best: string = ',';
  let most = 0;
  for (const candidate of DELIMITER_CANDIDATES) {
    const cells = headerCells(text, candidate, headerRow);
    if (cells > most) {
      best = candidate;
      most = cells;
    }
  }
  return best;
}

/** The cells of record `headerRow` of the text read with `delimiter` (0 when the text ends first). */
function headerCells(text: string, delimiter: string, headerRow: number): number {
  const reader = new CsvRecordReader(delimiter);
  // Only the file's first piece is at hand: its end is taken for the end of the text.
  reader.begin(text, true);
  let at = 0;
  for (let record = 1; record < headerRow; record++) {
    at = reader.read(at);
    if (at < 0) return 0;
  }
  return reader.read(at) < 0 ? 0 : reader.cells.length;
}
