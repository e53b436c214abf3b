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
  /** Reads past the rest of the sheet, keeping the workbook open for the next one. */
  skip(): Promise<void>;
}

/** Finds a sheet's header (skipping title rows), or undefined for a sheet without content. */
export type SheetOpener = (sheet: WorkbookSheet) => Promise<OpenedSheet | undefined>;

/**
 * The sheet a unit is read from: the one named by `options.sheet`; else the first visible sheet whose header
 * `options.headerFits` accepts, else the first visible sheet with data. Undefined when no visible sheet has
 * content. Without a sheet named, a later visible sheet whose header fits too fails the unit once the first
 * one's rows are read (`multiple-data-sheets`): its rows would be left out silently. Hidden sheets, and sheets
 * whose header does not fit (a letter, a notes sheet), are no data sheets.
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
  for await (const sheet of iterate(sheets)) {
    const name = sheet.name ?? `Sheet${seen.length + 1}`;
    seen.push(sheet.hidden ? `${name}（隐藏）` : name);
    if (!sheet.hidden) visibleIndex++;
    if (!isChosen(options.sheet, name, sheet.hidden, visibleIndex)) {
      await drain(sheet);
      continue;
    }
    const opened = await open(sheet);
    const { headerFits } = options;
    if (opened && (options.sheet !== undefined || !headerFits)) return opened.stream();
    if (opened && headerFits?.(opened.header)) {
      return opened.stream(async () => {
        const others = await otherDataSheets(sheets, seen.length, headerFits, open);
        if (others.length > 0) throw multipleDataSheets([name, ...others]);
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
 * The names of the visible sheets after the one read whose header fits too, reading the rest of the workbook
 * (`read` sheets were before). A sheet whose header cannot be found at all (`--header-row` on a blank row of a
 * notes sheet) is no data sheet.
 */
async function otherDataSheets(
  sheets: AsyncGenerator<WorkbookSheet>,
  read: number,
  headerFits: (header: readonly string[]) => boolean,
  open: SheetOpener,
): Promise<string[]> {
  const names: string[] = [];
  let position = read;
  for await (const sheet of iterate(sheets)) {
    position++;
    if (sheet.hidden) {
      await drain(sheet);
      continue;
    }
    const opened = await open(sheet).catch((error: unknown) => {
      if (error instanceof FileFormatError && error.code === 'header-not-found') return undefined;
      throw error;
    });
    if (opened && headerFits(opened.header)) names.push(sheet.name ?? `Sheet${position}`);
    if (opened) await opened.skip();
    else await drain(sheet);
  }
  return names;
}

function multipleDataSheets(names: string[]): FileFormatError {
  const listed = names.map((name) => `「${name}」`).join('');
  return new FileFormatError(
    'multiple-data-sheets',
    `工作簿中有 ${names.length} 个工作表${listed}的表头都与目录相符，平台每个文件只读取一个工作表，为免漏读数据，整个文件未入库：请把全部数据行放在同一个工作表中后重新报送（确需只读其中一个时，运维人员可用 --sheet 或管道的 sheet 指定）`,
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

async function drain(sheet: WorkbookSheet): Promise<void> {
  for await (const _row of sheet.rows) {
    // Skipping a sheet still means reading past it: exceljs hands out the sheets one after the other.
  }
}
