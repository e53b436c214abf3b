import { FileFormatError, type FormatOptions, type RowStream } from '../contracts.ts';
import type { WorkbookSheet, XlsxWorkbook } from './xlsx-workbook.ts';

/** A sheet whose header was found: its rows to load, or to read past when another sheet is the one. */
export interface OpenedSheet {
  readonly header: string[];
  /**
   * Its rows; the workbook is let go of once they are read. `afterRows` runs after the last row (given their
   * number), before that: a failure there fails the unit, whose rows are then loaded none.
   */
  stream(afterRows?: (rows: number) => Promise<void>): RowStream;
  /** Reads past the rest of the sheet, keeping the workbook open for the next one; returns its rows after the header. */
  skip(): Promise<number>;
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
 * rows unless named.
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
      const found = hidden ? await dataSheet(sheet, seen.length, judge, open) : await drain(sheet);
      if (found) before.push(found);
      continue;
    }
    const opened = await open(sheet);
    if (opened && (options.sheet !== undefined || !judge)) return opened.stream();
    if (opened && judge?.fits(opened.header)) {
      const position = seen.length;
      return opened.stream(async (rows) => {
        const others = [...before, ...(await otherDataSheets(sheets, position, judge, open))];
        if (others.length > 0) throw multipleDataSheets([{ name, position, rows, hidden: false }, ...others]);
      });
    }
    if (opened && judge) {
      firstWithData ??= seen.length;
      const differs = judge.near(opened.header);
      const rows = await opened.skip();
      if (differs !== undefined && rows > 0) {
        firstNear ??= seen.length;
        before.push({ name, position: seen.length, rows, hidden: false, differs });
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
      `工作簿中没有工作表「${options.sheet}」（现有：${seen.join('、') || '无'}），请用 --sheet 指定名称或序号（从1开始，不计隐藏工作表）`,
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
 * The sheets after the one read (`read` sheets were before) with the entry's data, reading the rest of the
 * workbook.
 */
async function otherDataSheets(
  sheets: AsyncGenerator<WorkbookSheet>,
  read: number,
  judge: HeaderJudge,
  open: SheetOpener,
): Promise<DataSheet[]> {
  const found: DataSheet[] = [];
  let position = read;
  for await (const sheet of iterate(sheets)) {
    position++;
    const other = await dataSheet(sheet, position, judge, open);
    if (other) found.push(other);
  }
  return found;
}

/**
 * The sheet, read to its end, if its header fits, or if it has rows under a header close to the entry's. A sheet
 * whose header cannot be found at all (`--header-row` on a blank row of a notes sheet) is no data sheet; nor is a
 * hidden one too wide to be read (a far-right cell in a lookup list nobody sees): it was never read before hidden
 * sheets were looked at, and is no reason to fail now.
 */
async function dataSheet(
  sheet: WorkbookSheet,
  position: number,
  judge: HeaderJudge,
  open: SheetOpener,
): Promise<DataSheet | undefined> {
  const passed = sheet.hidden ? ['header-not-found', 'too-many-cells'] : ['header-not-found'];
  const opened = await open(sheet).catch((error: unknown) => {
    if (error instanceof FileFormatError && passed.includes(error.code)) return undefined;
    throw error;
  });
  if (!opened) return drain(sheet);
  const rows = await opened.skip();
  const name = sheet.name ?? `Sheet${position}`;
  const found = { name, position, rows, hidden: sheet.hidden };
  if (judge.fits(opened.header)) return found;
  const differs = rows > 0 ? judge.near(opened.header) : undefined;
  return differs === undefined ? undefined : { ...found, differs };
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
    `工作簿中有 ${sheets.length} 个工作表${listed}的表头${close ? '与目录相符或相近' : '都与目录相符'}，数据行分别为：${each}${hiddenText}。平台每个文件只读取一个工作表，为免漏读数据，整个文件未入库：请把全部数据行按目录的表头放在同一个工作表中（不再报送的旧数据、备份请删除）后重新报送（确需只读其中一个时，运维人员可用 --sheet 或管道的 sheet 指定）`,
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
