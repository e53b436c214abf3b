import ExcelJS from 'exceljs';
import { WHOLE_ROW } from '../../src/validate/row-error.ts';
import {
  FileFormatError,
  type Format,
  type FormatOptions,
  type RowStream,
  type SourceRow,
} from '../contracts.ts';
import { cellText, serialToIsoDate } from './xlsx-cell-text.ts';

const BATCH_ROWS = 2000;
/** Title rows above the header: the header is the fullest of the first rows read. */
const HEADER_SEARCH_ROWS = 20;

/** The parts of exceljs' streaming reader its type declarations leave out. */
interface SheetReader extends AsyncIterable<ExcelJS.Row> {
  name?: string;
  state?: string;
}
interface BookInternals {
  properties?: { model?: { date1904?: boolean } };
}

interface ReadRow {
  rowNumber: number;
  cells: string[];
  numberCells: number[];
  filled: number;
}

/**
 * Excel workbooks (.xlsx), streamed with exceljs' WorkbookReader: the whole workbook is never in memory.
 * Row numbers are the ones Excel shows; dates become ISO dates in both date systems.
 */
export const xlsxFormat: Format = {
  name: 'xlsx',
  async open(input, options: FormatOptions): Promise<RowStream> {
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
      sharedStrings: 'cache',
      // Styles are needed to tell a date cell from a number cell.
      styles: 'cache',
      hyperlinks: 'ignore',
      worksheets: 'emit',
      entries: 'ignore',
    });
    const book = reader as unknown as BookInternals;
    const sheets = reader[Symbol.asyncIterator]() as AsyncIterator<SheetReader>;
    const seen: string[] = [];
    let visibleIndex = 0;
    for (let next = await sheets.next(); !next.done; next = await sheets.next()) {
      const sheet = next.value;
      const hidden = sheet.state === 'hidden' || sheet.state === 'veryHidden';
      const name = sheet.name ?? `Sheet${seen.length + 1}`;
      seen.push(hidden ? `${name}（隐藏）` : name);
      if (!hidden) visibleIndex++;
      if (!isChosen(options.sheet, name, hidden, visibleIndex)) {
        await drain(sheet);
        continue;
      }
      const date1904 = () => book.properties?.model?.date1904 === true;
      const opened = await openSheet(sheet, date1904, options.headerRow);
      if (opened) return opened;
      if (options.sheet !== undefined) {
        throw new FileFormatError('empty-sheet', `工作表「${name}」没有内容：第1行应为表头，其后为数据行`);
      }
    }
    if (options.sheet !== undefined) {
      throw new FileFormatError(
        'sheet-not-found',
        `工作簿中没有工作表「${options.sheet}」（现有：${seen.join('、') || '无'}），请用 --sheet 指定名称或序号（从1开始，不计隐藏工作表）`,
      );
    }
    throw new FileFormatError('empty-file', '工作簿中没有任何有内容的可见工作表：应有一行表头，其后为数据行');
  },
};

function isChosen(
  wanted: string | number | undefined,
  name: string,
  hidden: boolean,
  visibleIndex: number,
): boolean {
  if (wanted === undefined) return !hidden;
  if (typeof wanted === 'number') return !hidden && visibleIndex === wanted;
  return name === wanted || (/^\d+$/.test(wanted) && !hidden && visibleIndex === Number(wanted));
}

async function drain(sheet: SheetReader): Promise<void> {
  for await (const _row of sheet) {
    // Skipping a sheet still means reading past it: the zip is one stream.
  }
}

/** Finds the header (skipping title rows), or undefined for a sheet without content. */
async function openSheet(
  sheet: SheetReader,
  date1904: () => boolean,
  headerRow: number | undefined,
): Promise<RowStream | undefined> {
  const rows = sheet[Symbol.asyncIterator]();
  let blankLines = 0;
  const readRow = async (): Promise<ReadRow | undefined> => {
    for (;;) {
      const next = await rows.next();
      if (next.done) return undefined;
      const row = toReadRow(next.value, date1904());
      // A stored row with nothing visible in it is counted by the gap it leaves.
      if (row.filled > 0) return row;
    }
  };
  const ahead: ReadRow[] = [];
  for (let row = await readRow(); row; row = await readRow()) {
    ahead.push(row);
    if (headerRow !== undefined ? row.rowNumber >= headerRow : ahead.length >= HEADER_SEARCH_ROWS) break;
  }
  const headerAt =
    headerRow !== undefined
      ? ahead.findIndex((row) => row.rowNumber === headerRow)
      : ahead.reduce((best, row, i) => (row.filled > (ahead[best]?.filled ?? 0) ? i : best), 0);
  const header = ahead[headerAt];
  if (!header) {
    if (headerRow !== undefined && ahead.length > 0) {
      throw new FileFormatError('header-not-found', `第${headerRow}行是空行，不能作为表头`);
    }
    return undefined;
  }
  // Empty trailing header columns are formatting, not columns.
  let width = header.cells.length;
  while (width > 0 && header.cells[width - 1] === '') width--;
  const headerCells = header.cells.slice(0, width);
  const first = ahead.slice(headerAt + 1);
  blankLines = 0;
  let previous = header.rowNumber;
  // Rows Excel does not store at all are blank lines too: count the gaps between stored rows.
  const take = (row: ReadRow): SourceRow => {
    blankLines += row.rowNumber - previous - 1;
    previous = row.rowNumber;
    return toSourceRow(row, width, headerCells);
  };
  async function* batches(): AsyncGenerator<SourceRow[]> {
    let batch: SourceRow[] = first.map(take);
    for (let row = await readRow(); row; row = await readRow()) {
      batch.push(take(row));
      if (batch.length >= BATCH_ROWS) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }
  return {
    header: headerCells,
    encoding: 'xlsx',
    batches: batches(),
    stats: () => ({ blankLines }),
    serialToDate: (serial) => serialToIsoDate(serial, date1904()),
  };
}

function toReadRow(row: ExcelJS.Row, date1904: boolean): ReadRow {
  const values = row.values as unknown[];
  const cells: string[] = [];
  const numberCells: number[] = [];
  let filled = 0;
  // exceljs' values are 1-based by column; index 0 is always empty.
  for (let column = 1; column < values.length; column++) {
    const value = values[column];
    if (value === undefined || value === null) {
      cells.push('');
      continue;
    }
    const { text, isNumber } = cellText(value, row.getCell(column).numFmt, date1904);
    cells.push(text);
    if (isNumber) numberCells.push(column - 1);
    if (text.trim() !== '') filled++;
  }
  return { rowNumber: row.number, cells, numberCells, filled };
}

function toSourceRow(row: ReadRow, width: number, header: string[]): SourceRow {
  const cells = row.cells.slice(0, width);
  while (cells.length < width) cells.push('');
  const numberCells = row.numberCells.filter((index) => index < width);
  const outside = row.cells.findIndex((text, i) => i >= width && text.trim() !== '');
  const base = { rowNumber: row.rowNumber, cells, ...(numberCells.length > 0 ? { numberCells } : {}) };
  if (outside < 0) return base;
  return {
    ...base,
    problem: {
      field: WHOLE_ROW,
      code: 'field-count',
      message: `第${row.rowNumber}行在表头之外的第${columnLetter(outside)}列还有内容（表头共${header.length}列，到${columnLetter(width - 1)}列为止），请删除或补上表头`,
      value: row.cells[outside],
    },
  };
}

/** 0 → A, 25 → Z, 26 → AA: the column names Excel shows. */
export function columnLetter(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) {
    name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  }
  return name;
}
