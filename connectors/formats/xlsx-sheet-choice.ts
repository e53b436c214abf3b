import { FileFormatError, type FormatOptions, type RowStream } from '../contracts.ts';
import type { WorkbookSheet, XlsxWorkbook } from './xlsx-workbook.ts';

/**
 * The operators' remarks at the end of a workbook's failure, after what the provider does, naming `ingest --sheet`
 * and a pipeline's `sheet`, which only the platform's operators can give: what a provider reads (the direct-report
 * page, the report it downloads, a review notice) is the message without them (src/report/provider-message.ts).
 */
export const SHEET_OPERATOR_NOTE = '（确需只读其中一个工作表时，运维人员可用 --sheet 或管道的 sheet 指定）';
export const SHEET_NOT_FOUND_OPERATOR_NOTE =
  '（运维人员可用 --sheet 或管道的 sheet 改为现有工作表的名称或序号，序号从1开始，不计隐藏工作表）';

/** A sheet whose header was found: its rows to load, or to read past when another sheet is the one. */
export interface OpenedSheet {
  readonly header: string[];
  /**
   * Its rows; the workbook is let go of once they are read. `afterRows` runs after the last row (given their
   * number), before that: a failure there fails the unit, whose rows are then loaded none.
   */
  stream(afterRows?: (rows: number) => Promise<void>): RowStream;
  /** Reads past the rest of the sheet, keeping the workbook open for the next one. */
  skip(): Promise<SkippedSheet>;
}

/** A sheet read past: its rows after the header, and how full all its rows are. */
export interface SkippedSheet {
  rows: number;
  /**
   * Every row of the sheet with content (title rows and the header row included) by its number of non-empty
   * cells: how many rows have 1, 2, … Bounded by the cells a row may have, whatever the sheet's length.
   */
  filled: ReadonlyMap<number, number>;
}

/**
 * A sheet besides the one read that holds the entry's data too: its header fits, or (with rows) comes close to
 * the entry's; a hidden one with its rows (nobody sees them in Excel).
 */
interface DataSheet {
  name: string;
  /** Its place among the workbook's sheets, from 1. */
  position: number;
  /** Its rows after the header. */
  rows: number;
  hidden: boolean;
  /** A header close to the entry's without fitting it: what differs. */
  differs?: string;
}

/**
 * A visible sheet with no header of its own: the row taken for its header (the fullest of its first rows) reads as
 * data — a code, an ID number or a date in it. Whether its rows are the entry's is told once the header of the
 * sheet read is known (`headerlessRows`).
 */
interface HeaderlessSheet {
  name: string;
  position: number;
  /** Non-empty cells of the row taken for its header. */
  headerCells: number;
  filled: ReadonlyMap<number, number>;
}

/** What a sheet besides the one read is to the entry: its data, rows without a header, or nothing. */
interface OtherSheets {
  data: DataSheet[];
  headerless: HeaderlessSheet[];
}

/** How the entry sees a sheet's header: the unit's own, close to it (what differs), or neither. */
interface HeaderJudge {
  fits: (header: readonly string[]) => boolean;
  near: (header: readonly string[]) => string | undefined;
}

/** Finds a sheet's header (skipping title rows), or undefined for a sheet without content. */
export type SheetOpener = (sheet: WorkbookSheet) => Promise<OpenedSheet | undefined>;

/**
 * The sheet a unit is read from: the one named by `options.sheet`; else the first visible sheet whose header
 * `options.headerFits` accepts, else the first visible sheet with rows whose header comes close to the entry's
 * (`options.headerNear`: its header problems are then what the unit fails with), else the first visible sheet
 * with data. Undefined when no visible sheet has content. Without a sheet named, another sheet with the entry's
 * data fails the unit once the rows of the one read are (`multiple-data-sheets`): its rows would be left out
 * silently. A sheet has the entry's data when its header fits, or when it has rows under a header close to the
 * entry's (an added column 联系人, a misspelt 处罚内容1: the provider's rows all the same); hidden or not — rows
 * under the entry's header are data (old rows, a colleague's, rows hidden by mistake), and the provider cannot
 * tell from Excel that they were not sent — and the failure names each sheet with its rows, what differs in a
 * close header, and which are hidden. Sheets under another header (the lists behind a drop-down, code tables, a
 * letter, a notes sheet) or without rows under a close one are no data sheets; hidden sheets are never read for
 * rows unless named. Nor are rows on a visible sheet without a header (a continuation sheet: an export split at
 * 65,536 rows, rows pasted into Sheet2) to be left out: when the row taken for its header reads as data and it has
 * rows about as full as the header of the sheet read is wide (`headerlessRows`), the unit fails once its rows are
 * read (`data-sheet-without-header`). A notes sheet (one or two columns of text) or a code table (two or three
 * columns) never has rows that full; a sheet under a header of its own is judged by its header as above; a hidden
 * sheet only by its header, as ever (the lists behind a drop-down hold rows of codes without a header).
 */
export async function openChosenSheet(
  book: XlsxWorkbook,
  options: FormatOptions,
  open: SheetOpener,
): Promise<RowStream | undefined> {
  const sheets = book.sheets();
  const seen: string[] = [];
  let visibleIndex = 0;
  /** Without a sheet named: the first visible sheet with data, read when no sheet's header fits or is close. */
  let firstWithData: number | undefined;
  /** Without a sheet named: the first visible sheet with rows under a close header, read when none fits. */
  let firstNear: number | undefined;
  /** Sheets before the one read with the entry's data: hidden ones whose header fits, any with a close one. */
  const before: DataSheet[] = [];
  /** Visible sheets before the one read whose rows have no header. */
  const headerlessBefore: HeaderlessSheet[] = [];
  const { headerFits } = options;
  const judge: HeaderJudge | undefined = headerFits && {
    fits: headerFits,
    near: options.headerNear ?? (() => undefined),
  };
  for await (const sheet of iterate(sheets)) {
    const name = sheet.name ?? `Sheet${seen.length + 1}`;
    seen.push(sheet.hidden ? `${name}（隐藏）` : name);
    if (!sheet.hidden) visibleIndex++;
    if (!isChosen(options.sheet, name, sheet.hidden, visibleIndex)) {
      const hidden = options.sheet === undefined && judge && sheet.hidden;
      const found = hidden ? await otherSheet(sheet, seen.length, judge, open) : await drain(sheet);
      if (found && 'rows' in found) before.push(found);
      continue;
    }
    const opened = await open(sheet);
    if (opened && (options.sheet !== undefined || !judge)) return opened.stream();
    if (opened && judge?.fits(opened.header)) {
      const position = seen.length;
      return opened.stream(async (rows) => {
        const after = await otherSheets(sheets, position, judge, open);
        const others = [...before, ...after.data];
        if (others.length > 0) throw multipleDataSheets([{ name, position, rows, hidden: false }, ...others]);
        const width = opened.header.length;
        const lost = [...headerlessBefore, ...after.headerless].flatMap((other) => {
          const count = headerlessRows(other, width);
          return count > 0 ? [{ name: other.name, position: other.position, rows: count }] : [];
        });
        if (lost.length > 0) throw dataSheetWithoutHeader(name, lost);
      });
    }
    if (opened && judge) {
      firstWithData ??= seen.length;
      const differs = judge.near(opened.header);
      const { rows, filled } = await opened.skip();
      if (differs !== undefined && rows > 0) {
        firstNear ??= seen.length;
        before.push({ name, position: seen.length, rows, hidden: false, differs });
      } else if (differs === undefined) {
        const headerless = headerlessSheet(name, seen.length, opened.header, filled);
        if (headerless) headerlessBefore.push(headerless);
      }
      continue;
    }
    if (options.sheet !== undefined) {
      throw new FileFormatError('empty-sheet', `工作表「${name}」没有内容：第1行应为表头，其后为数据行`);
    }
  }
  if (options.sheet !== undefined) {
    throw new FileFormatError(
      'sheet-not-found',
      `工作簿中没有平台指定读取的工作表「${options.sheet}」（现有：${seen.join('、') || '无'}），整个文件未入库：请核对工作表后重新报送，如有疑问请联系平台运维人员${SHEET_NOT_FOUND_OPERATOR_NOTE}`,
    );
  }
  const fallback = firstNear ?? firstWithData;
  if (fallback === undefined) return undefined;
  // No sheet's header fits: read the sheet closest to the entry's, else the first with data; its header problems
  // are then reported as usual (the unit fails: nothing of it is loaded).
  let position = 0;
  for await (const sheet of book.sheets()) {
    position++;
    if (position === fallback) return (await open(sheet))?.stream();
    await drain(sheet);
  }
  return undefined;
}

/**
 * The sheets after the one read (`read` sheets were before) with the entry's data or rows without a header,
 * reading the rest of the workbook.
 */
async function otherSheets(
  sheets: AsyncGenerator<WorkbookSheet>,
  read: number,
  judge: HeaderJudge,
  open: SheetOpener,
): Promise<OtherSheets> {
  const found: OtherSheets = { data: [], headerless: [] };
  let position = read;
  for await (const sheet of iterate(sheets)) {
    position++;
    const other = await otherSheet(sheet, position, judge, open);
    if (other && 'rows' in other) found.data.push(other);
    else if (other) found.headerless.push(other);
  }
  return found;
}

/**
 * The sheet, read to its end, as a data sheet if its header fits, or if it has rows under a header close to the
 * entry's; else, visible, as a sheet without a header if the row taken for its header reads as data. A sheet
 * whose header cannot be found at all (`--header-row` on a blank row of a notes sheet) is neither; nor is a
 * hidden one too wide to be read (a far-right cell in a lookup list nobody sees): it was never read before hidden
 * sheets were looked at, and is no reason to fail now.
 */
async function otherSheet(
  sheet: WorkbookSheet,
  position: number,
  judge: HeaderJudge,
  open: SheetOpener,
): Promise<DataSheet | HeaderlessSheet | undefined> {
  const passed = sheet.hidden ? ['header-not-found', 'too-many-cells'] : ['header-not-found'];
  const opened = await open(sheet).catch((error: unknown) => {
    if (error instanceof FileFormatError && passed.includes(error.code)) return undefined;
    throw error;
  });
  if (!opened) return drain(sheet);
  const { rows, filled } = await opened.skip();
  const name = sheet.name ?? `Sheet${position}`;
  const found = { name, position, rows, hidden: sheet.hidden };
  if (judge.fits(opened.header)) return found;
  const differs = rows > 0 ? judge.near(opened.header) : undefined;
  if (differs !== undefined) return { ...found, differs };
  return sheet.hidden ? undefined : headerlessSheet(name, position, opened.header, filled);
}

/** A code, an ID number or an amount (6 digits in a row), or a date: no column name holds one. */
const VALUE_LIKE = /\d{6}|\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}/;

/** Fewest non-empty cells of a row taken for the entry's data without a header: more than a code table has. */
const MIN_DATA_CELLS = 5;

/** A visible sheet whose row taken for a header reads as data, else undefined (a header of its own, a note). */
function headerlessSheet(
  name: string,
  position: number,
  header: readonly string[],
  filled: ReadonlyMap<number, number>,
): HeaderlessSheet | undefined {
  const cells = header.filter((text) => text.trim() !== '');
  if (!cells.some((text) => VALUE_LIKE.test(text.normalize('NFKC')))) return undefined;
  return { name, position, headerCells: cells.length, filled };
}

/**
 * The rows of a sheet without a header that look like rows of the sheet read, whose header has `width` columns:
 * those with at least a third of its width filled (at least MIN_DATA_CELLS) — every catalog entry requires more
 * than a third of its columns, so its rows fill that many whatever their optional columns. 0 when even the row
 * taken for the sheet's header is not that full.
 */
function headerlessRows(sheet: Pick<HeaderlessSheet, 'headerCells' | 'filled'>, width: number): number {
  const least = Math.max(MIN_DATA_CELLS, Math.ceil(width / 3));
  if (sheet.headerCells < least) return 0;
  let rows = 0;
  for (const [cells, count] of sheet.filled) if (cells >= least) rows += count;
  return rows;
}

function dataSheetWithoutHeader(read: string, sheets: { name: string; position: number; rows: number }[]) {
  const inOrder = [...sheets].sort((a, b) => a.position - b.position);
  const each = inOrder.map(({ name, rows }) => `「${name}」有 ${rows} 行数据`).join('，');
  const one = inOrder.length === 1;
  return new FileFormatError(
    'data-sheet-without-header',
    `工作表${each}，但${one ? '' : '都'}没有表头（各行的列数与「${read}」表的数据行相当，像是接续的数据行），平台每个文件只读取一个工作表，为免漏读数据，整个文件未入库：请把这些行移到「${read}」表中（接在其数据行之后），不需报送的请删除${one ? '该' : '这些'}工作表，然后重新报送${SHEET_OPERATOR_NOTE}`,
  );
}

function multipleDataSheets(sheets: DataSheet[]): FileFormatError {
  const inOrder = [...sheets].sort((a, b) => a.position - b.position);
  const listed = inOrder.map(({ name }) => `「${name}」`).join('');
  const close = inOrder.some(({ differs }) => differs !== undefined);
  const each = inOrder
    .map(({ name, rows, differs }) =>
      differs === undefined
        ? `「${name}」${rows} 行`
        : `「${name}」${rows} 行（表头与目录相近但不一致：${differs}）`,
    )
    .join('，');
  const hidden = inOrder.flatMap(({ name, rows, hidden }) =>
    hidden ? [`「${name}」是隐藏的工作表，有 ${rows} 行`] : [],
  );
  const hiddenText =
    hidden.length === 0 ? '' : `（其中${hidden.join('；')}：右键任一工作表标签选“取消隐藏”可见）`;
  return new FileFormatError(
    'multiple-data-sheets',
    `工作簿中有 ${sheets.length} 个工作表${listed}的表头${close ? '与目录相符或相近' : '都与目录相符'}，数据行分别为：${each}${hiddenText}。平台每个文件只读取一个工作表，为免漏读数据，整个文件未入库：请把全部数据行按目录的表头放在同一个工作表中（不再报送的旧数据、备份请删除）后重新报送${SHEET_OPERATOR_NOTE}`,
  );
}

/**
 * The sheets one after the other, without ending the generator when a loop over them stops: the sheet a unit is
 * read from is left mid-loop, and the sheets after it are still read once its rows are.
 */
async function* iterate(sheets: AsyncGenerator<WorkbookSheet>): AsyncGenerator<WorkbookSheet> {
  for (let next = await sheets.next(); !next.done; next = await sheets.next()) yield next.value;
}

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

async function drain(sheet: WorkbookSheet): Promise<undefined> {
  for await (const _row of sheet.rows) {
    // Skipping a sheet still means reading past it: exceljs hands out the sheets one after the other.
  }
  return undefined;
}
