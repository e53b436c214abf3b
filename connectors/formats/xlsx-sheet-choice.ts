import { FileFormatError, type FormatOptions, type RowStream } from '../contracts.ts';
import type { WorkbookSheet, XlsxWorkbook } from './xlsx-workbook.ts';

/** A sheet whose header was found: its rows to load, or to read past when another sheet is the one. */
export interface OpenedSheet {
  readonly header: string[];
  /**
   * Its rows; the workbook is let go of once they are read. `afterRows` runs after the last row, before that:
   * a failure there fails the unit, whose rows are then loaded none.
   */
  stream(afterRows?: () => Promise<void>): RowStream;
  /** Reads past the rest of the sheet, keeping the workbook open for the next one; returns its rows after the header. */
  skip(): Promise<number>;
}

/** A sheet besides the one read whose header fits too; a hidden one with its rows (nobody sees them in Excel). */
interface DataSheet {
  name: string;
  /** Its place among the workbook's sheets, from 1. */
  position: number;
  hiddenRows?: number;
}

/** Finds a sheet's header (skipping title rows), or undefined for a sheet without content. */
export type SheetOpener = (sheet: WorkbookSheet) => Promise<OpenedSheet | undefined>;

/**
 * The sheet a unit is read from: the one named by `options.sheet`; else the first visible sheet whose header
 * `options.headerFits` accepts, else the first visible sheet with data. Undefined when no visible sheet has
 * content. Without a sheet named, another sheet whose header fits too fails the unit once the rows of the one read
 * are (`multiple-data-sheets`): its rows would be left out silently. That holds for a hidden sheet as well — rows
 * under the entry's header are data, hidden or not (old rows, a colleague's, rows hidden by mistake), and the
 * provider cannot tell from Excel that they were not sent — and the failure names it and its rows. Hidden sheets
 * whose header does not fit (the lists behind a drop-down, lookup tables) and visible ones (a letter, a notes
 * sheet) are no data sheets; hidden sheets are never read for rows unless named.
 */
export async function openChosenSheet(
  book: XlsxWorkbook,
  options: FormatOptions,
  open: SheetOpener,
): Promise<RowStream | undefined> {
  const sheets = book.sheets();
  const seen: string[] = [];
  let visibleIndex = 0;
  /** Without a sheet named: the first visible sheet with data, read when no sheet's header fits. */
  let firstWithData: number | undefined;
  /** Hidden sheets before the one read whose header fits. */
  const hiddenBefore: DataSheet[] = [];
  const { headerFits } = options;
  for await (const sheet of iterate(sheets)) {
    const name = sheet.name ?? `Sheet${seen.length + 1}`;
    seen.push(sheet.hidden ? `${name}（隐藏）` : name);
    if (!sheet.hidden) visibleIndex++;
    if (!isChosen(options.sheet, name, sheet.hidden, visibleIndex)) {
      const hidden = options.sheet === undefined && headerFits && sheet.hidden;
      const found = hidden ? await dataSheet(sheet, seen.length, headerFits, open) : await drain(sheet);
      if (found) hiddenBefore.push(found);
      continue;
    }
    const opened = await open(sheet);
    if (opened && (options.sheet !== undefined || !headerFits)) return opened.stream();
    if (opened && headerFits?.(opened.header)) {
      const position = seen.length;
      return opened.stream(async () => {
        const others = [...hiddenBefore, ...(await otherDataSheets(sheets, position, headerFits, open))];
        if (others.length > 0) throw multipleDataSheets([{ name, position }, ...others]);
      });
    }
    if (opened) {
      firstWithData ??= seen.length;
      await opened.skip();
      continue;
    }
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
  if (firstWithData === undefined) return undefined;
  // No sheet's header fits: read the first sheet with data, whose header problems are then reported as usual.
  let position = 0;
  for await (const sheet of book.sheets()) {
    position++;
    if (position === firstWithData) return (await open(sheet))?.stream();
    await drain(sheet);
  }
  return undefined;
}

/**
 * The sheets after the one read (`read` sheets were before) whose header fits too, reading the rest of the
 * workbook.
 */
async function otherDataSheets(
  sheets: AsyncGenerator<WorkbookSheet>,
  read: number,
  headerFits: (header: readonly string[]) => boolean,
  open: SheetOpener,
): Promise<DataSheet[]> {
  const found: DataSheet[] = [];
  let position = read;
  for await (const sheet of iterate(sheets)) {
    position++;
    const other = await dataSheet(sheet, position, headerFits, open);
    if (other) found.push(other);
  }
  return found;
}

/**
 * The sheet, read to its end, if its header fits. A sheet whose header cannot be found at all (`--header-row` on a
 * blank row of a notes sheet) is no data sheet; nor is a hidden one too wide to be read (a far-right cell in a
 * lookup list nobody sees): it was never read before hidden sheets were looked at, and is no reason to fail now.
 */
async function dataSheet(
  sheet: WorkbookSheet,
  position: number,
  headerFits: (header: readonly string[]) => boolean,
  open: SheetOpener,
): Promise<DataSheet | undefined> {
  const passed = sheet.hidden ? ['header-not-found', 'too-many-cells'] : ['header-not-found'];
  const opened = await open(sheet).catch((error: unknown) => {
    if (error instanceof FileFormatError && passed.includes(error.code)) return undefined;
    throw error;
  });
  if (!opened) return drain(sheet);
  const rows = await opened.skip();
  if (!headerFits(opened.header)) return undefined;
  const name = sheet.name ?? `Sheet${position}`;
  return sheet.hidden ? { name, position, hiddenRows: rows } : { name, position };
}

function multipleDataSheets(sheets: DataSheet[]): FileFormatError {
  const inOrder = [...sheets].sort((a, b) => a.position - b.position);
  const listed = inOrder.map(({ name }) => `「${name}」`).join('');
  const hidden = inOrder.flatMap(({ name, hiddenRows }) =>
    hiddenRows === undefined ? [] : [`「${name}」是隐藏的工作表，有 ${hiddenRows} 行`],
  );
  const hiddenText =
    hidden.length === 0 ? '' : `（其中${hidden.join('；')}：右键任一工作表标签选“取消隐藏”可见）`;
  return new FileFormatError(
    'multiple-data-sheets',
    `工作簿中有 ${sheets.length} 个工作表${listed}的表头都与目录相符${hiddenText}，平台每个文件只读取一个工作表，为免漏读数据，整个文件未入库：请把全部数据行放在同一个工作表中（不再报送的旧数据、备份请删除）后重新报送（确需只读其中一个时，运维人员可用 --sheet 或管道的 sheet 指定）`,
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
