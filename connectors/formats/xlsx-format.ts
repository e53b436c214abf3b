import type ExcelJS from 'exceljs';
import {
  type ErrorCell,
  FileFormatError,
  type Format,
  type FormatOptions,
  type RowStream,
  type SourceRow,
} from '../contracts.ts';
import { readLimits } from '../limits.ts';
import { WHOLE_ROW } from '../row-error.ts';
import { CELLS_PER_ROW_OPERATOR_NOTE } from './csv-rows.ts';
import { cellText, serialToIsoDate, withStoredResult } from './xlsx-cell-text.ts';
import { type CoveredCell, MergeFill } from './xlsx-merges.ts';
import { sheetDefect } from './xlsx-part-text.ts';
import type { SharedStrings } from './xlsx-shared-strings.ts';
import { type OpenedSheet, openChosenSheet } from './xlsx-sheet-choice.ts';
import { type WorkbookSheet, XlsxWorkbook } from './xlsx-workbook.ts';

const BATCH_ROWS = 2000;
/** Title rows above the header: the header is the fullest of the first rows read. */
const HEADER_SEARCH_ROWS = 20;

interface ReadRow {
  rowNumber: number;
  cells: string[];
  numberCells: number[];
  /** Cells that show an error, or a formula whose result the file does not hold. */
  errorCells: ErrorCell[];
  /** Cells with content of their own: a cell covered by a merge shows its merge's value, not its own. */
  filled: number;
  /**
   * Cells showing a name for their column, to find the header by: those of its own and those a merge from
   * above continues down into (a two-row header's 序号 merged over both rows), not those merged across.
   */
  shown: number;
  covered: CoveredCell[];
}

/** Columns of the header row covered by a header cell merged across them: they have no name of their own. */
type MergedHeader = Map<number, { text: string; ref: string; column: number }>;

/**
 * Excel workbooks (.xlsx), streamed with exceljs' WorkbookReader: the whole workbook is never in memory.
 * Row numbers are the ones Excel shows; dates become ISO dates in both date systems; a cell covered by a
 * merged area reads as the area's top-left cell, as Excel shows it.
 */
export const xlsxFormat: Format = {
  name: 'xlsx',
  async open(input, options: FormatOptions): Promise<RowStream> {
    const limits = { ...readLimits(), ...options.limits };
    const book = await XlsxWorkbook.open(input, limits);
    try {
      const opened = await openChosenSheet(book, options, (sheet) =>
        openSheet(book, sheet, options.headerRow, limits.maxCellsPerRow),
      );
      if (opened) return opened;
    } catch (error) {
      book.close();
      throw error;
    }
    book.close();
    throw new FileFormatError('empty-file', '工作簿中没有任何有内容的可见工作表：应有一行表头，其后为数据行');
  },
};

/** Finds the header (skipping title rows), or undefined for a sheet without content. */
async function openSheet(
  book: XlsxWorkbook,
  sheet: WorkbookSheet,
  headerRow: number | undefined,
  maxCellsPerRow: number,
): Promise<OpenedSheet | undefined> {
  const merges = new MergeFill(await sheet.merges());
  const rows = sheet.rows[Symbol.asyncIterator]();
  let blankLines = 0;
  const readRow = async (): Promise<ReadRow | undefined> => {
    for (;;) {
      const next = await rows.next();
      if (next.done) return undefined;
      const row = toReadRow(next.value, book.date1904(), book.sharedStrings, merges, maxCellsPerRow, sheet);
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
      : ahead.reduce((best, row, i) => (row.shown > (ahead[best]?.shown ?? 0) ? i : best), 0);
  const header = ahead[headerAt];
  if (!header) {
    if (headerRow !== undefined && ahead.length > 0) {
      throw new FileFormatError('header-not-found', `第${headerRow}行是空行，不能作为表头`);
    }
    return undefined;
  }
  const { cells: headerCells, width, merged } = headerOf(header);
  const first = ahead.slice(headerAt + 1);
  blankLines = 0;
  let previous = header.rowNumber;
  let taken = 0;
  // Rows Excel does not store at all are blank lines too: count the gaps between stored rows.
  const take = (row: ReadRow): SourceRow => {
    blankLines += row.rowNumber - previous - 1;
    previous = row.rowNumber;
    taken++;
    return toSourceRow(row, width, headerCells, merged);
  };
  async function* batches(afterRows?: (rows: number) => Promise<void>): AsyncGenerator<SourceRow[]> {
    try {
      let batch: SourceRow[] = first.map(take);
      for (let row = await readRow(); row; row = await readRow()) {
        batch.push(take(row));
        if (batch.length >= BATCH_ROWS) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
      await afterRows?.(taken);
    } finally {
      book.close();
    }
  }
  return {
    header: headerCells,
    stream: (afterRows) => ({
      header: headerCells,
      headerRow: header.rowNumber,
      encoding: 'xlsx',
      batches: batches(afterRows),
      stats: () => ({ blankLines }),
      serialToDate: (serial) => serialToIsoDate(serial, book.date1904()),
      close: () => book.close(),
    }),
    async skip() {
      // Only the sheet's end, its number of rows and how full they are matter: its rows are not this unit's, nor
      // are their problems. How full: the same pass tells a sheet of rows without a header (sheet choice).
      let count = first.length;
      const filled = new Map<number, number>();
      const tally = (cells: number) => filled.set(cells, (filled.get(cells) ?? 0) + 1);
      for (const row of ahead) tally(row.filled);
      for (let next = await rows.next(); !next.done; next = await rows.next()) {
        if (!next.value.hasValues) continue;
        count++;
        const cells = filledCells(next.value, book.sharedStrings, sheet);
        if (cells > 0) tally(cells);
      }
      return { rows: count, filled };
    },
  };
}

/**
 * The header's names and width. A header cell merged down over the header row names its column; one merged
 * across columns names only its first column, the others have no name of their own (two columns of one name
 * would be a duplicate): their cells are read as part of the first.
 */
function headerOf(header: ReadRow): { cells: string[]; width: number; merged: MergedHeader } {
  const cells = [...header.cells];
  const merged: MergedHeader = new Map();
  for (const { column, range } of header.covered) {
    if (column === range.left) continue;
    merged.set(column, { text: cells[range.left] ?? '', ref: range.ref, column: range.left });
    cells[column] = '';
  }
  // Empty trailing header columns are formatting, not columns; merged ones belong to their first column.
  let width = cells.length;
  while (width > 0 && cells[width - 1] === '' && !merged.has(width - 1)) width--;
  return { cells: cells.slice(0, width), width, merged };
}

/**
 * Cells of a row read past with content: text that is not blank, any other value. Cheaper than toReadRow (no
 * cell text, no merges): the sparse values of a row with a cell far to the right are not walked one by one. A shared
 * string past the end of the table fails the file as it does in a row read (`missingString`): it holds nothing to
 * count, and read past or read, the workbook is broken the same way (a sheet's rows do not count on it in the
 * choice of sheets, nor does the cell fail the file in the first rows of a sheet and pass further down).
 */
function filledCells(
  row: ExcelJS.Row,
  strings: SharedStrings,
  sheet: Pick<WorkbookSheet, 'name' | 'part'>,
): number {
  let filled = 0;
  // exceljs' values are 1-based by column; index 0 is always empty.
  (row.values as unknown[]).forEach((value, column) => {
    if (value === undefined || value === null) return;
    let text: unknown = value;
    if (typeof value === 'object' && 'sharedString' in value) {
      const index = (value as { sharedString: number }).sharedString;
      text = strings.get(index);
      if (text === undefined)
        throw missingString(sheet, `${columnLetter(column - 1)}${row.number}`, index, strings);
    }
    if (typeof text !== 'string' || text.trim() !== '') filled++;
  });
  return filled;
}

function toReadRow(
  row: ExcelJS.Row,
  date1904: boolean,
  strings: SharedStrings,
  merges: MergeFill,
  maxCellsPerRow: number,
  sheet: Pick<WorkbookSheet, 'name' | 'part'>,
): ReadRow {
  const values = row.values as unknown[];
  // A cell far to the right (XFD is column 16,384) makes every column before it a cell of the row.
  if (values.length - 1 > maxCellsPerRow) throw tooManyColumns(row.number, values.length - 1, maxCellsPerRow);
  const cells: string[] = [];
  const numberCells: number[] = [];
  const errorCells: ErrorCell[] = [];
  // exceljs' values are 1-based by column; index 0 is always empty.
  for (let column = 1; column < values.length; column++) {
    let value = values[column];
    if (value === undefined || value === null) {
      cells.push('');
      continue;
    }
    if (typeof value === 'object' && 'sharedString' in value) {
      const index = (value as { sharedString: number }).sharedString;
      value = strings.get(index);
      // Read as blank, an optional field would lose its text without a word, a required one be called empty.
      if (value === undefined)
        throw missingString(sheet, `${columnLetter(column - 1)}${row.number}`, index, strings);
    }
    const cell = row.getCell(column);
    const { text, isNumber, fault, unreadable } = cellText(
      withStoredResult(value, cell),
      cell.numFmt,
      date1904,
    );
    if (unreadable) throw unreadableCell(sheet, `${columnLetter(column - 1)}${row.number}`, unreadable);
    cells.push(text);
    if (isNumber) numberCells.push(column - 1);
    if (fault) errorCells.push({ index: column - 1, kind: fault, value: text });
  }
  const read = { rowNumber: row.number, cells, numberCells, errorCells };
  const covered = merges.empty ? [] : merges.fill(read);
  let filled = 0;
  let shown = 0;
  cells.forEach((text, i) => {
    if (text.trim() === '') return;
    const range = covered.find((cell) => cell.column === i)?.range;
    if (!range) filled++;
    if (!range || range.left === i) shown++;
  });
  return { ...read, filled, shown, covered };
}

function toSourceRow(row: ReadRow, width: number, header: string[], merged: MergedHeader): SourceRow {
  const cells = row.cells.slice(0, width);
  while (cells.length < width) cells.push('');
  const own = (i: number) => !row.covered.some((cell) => cell.column === i);
  let underMerged: number | undefined;
  for (const column of merged.keys()) {
    if (own(column) && cells[column]?.trim() && underMerged === undefined) underMerged = column;
    cells[column] = '';
  }
  const numberCells = row.numberCells.filter((index) => index < width && !merged.has(index));
  const errorCells = row.errorCells.filter((cell) => cell.index < width && !merged.has(cell.index));
  const outside = row.cells.findIndex((text, i) => i >= width && text.trim() !== '' && own(i));
  const base = {
    rowNumber: row.rowNumber,
    cells,
    ...(numberCells.length > 0 ? { numberCells } : {}),
    ...(errorCells.length > 0 ? { errorCells } : {}),
  };
  if (underMerged !== undefined) {
    const head = merged.get(underMerged);
    return {
      ...base,
      problem: {
        field: WHOLE_ROW,
        code: 'field-count',
        message: `第${row.rowNumber}行第${columnLetter(underMerged)}列有内容，但该列表头与${columnLetter(head?.column ?? 0)}列合并为「${head?.text ?? ''}」（${head?.ref ?? ''}），没有自己的列名：请取消表头合并并填写该列列名，或删除该列内容`,
        value: row.cells[underMerged],
      },
    };
  }
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

function missingString(
  sheet: Pick<WorkbookSheet, 'name' | 'part'>,
  ref: string,
  index: number,
  strings: SharedStrings,
): FileFormatError {
  const table = strings.size === 0 ? '工作簿没有共享字符串表' : `共享字符串表只有 ${strings.size} 个字符串`;
  return sheetDefect(
    sheet.part,
    sheet.name,
    `单元格 ${ref} 引用的共享字符串 ${index} 不存在（${table}），该单元格的内容无法读取`,
  );
}

/** A cell whose stored value Excel could not show (`CellText.unreadable`): read as blank, its data would be lost. */
function unreadableCell(
  sheet: Pick<WorkbookSheet, 'name' | 'part'>,
  ref: string,
  kind: 'not-a-number' | 'not-a-date',
): FileFormatError {
  const what =
    kind === 'not-a-number'
      ? `单元格 ${ref} 标为数值，存的内容却不是数字`
      : `单元格 ${ref} 设为日期格式，存的内容却不是数字，或是超出日期范围的数值`;
  return sheetDefect(sheet.part, sheet.name, `${what}，该单元格的内容无法读取`);
}

function tooManyColumns(rowNumber: number, width: number, maxCellsPerRow: number): FileFormatError {
  return new FileFormatError(
    'too-many-cells',
    `第${rowNumber}行一直到第${columnLetter(width - 1)}列（第${width}列）都有单元格，超过每行上限 ${maxCellsPerRow} 列，整个文件未入库：请删除表格右侧多余的内容或格式（选中这些列后“删除”），按目录列名重新报送${CELLS_PER_ROW_OPERATOR_NOTE}`,
  );
}

/** 0 → A, 25 → Z, 26 → AA: the column names Excel shows. */
export function columnLetter(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) {
    name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  }
  return name;
}
