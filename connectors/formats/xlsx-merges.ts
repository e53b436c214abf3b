import type yauzl from 'yauzl';
import type { ErrorCell } from '../contracts.ts';
import { checkedPart } from './xlsx-part-text.ts';

/** One merged area of a sheet: rows as Excel numbers them (1-based), columns as cell indexes (0-based). */
export interface MergeRange {
  /** As the sheet writes it, e.g. `A5:A9`. */
  ref: string;
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** What a cell covered by a merge shows: its merge's top-left cell. */
export interface CoveredCell {
  column: number;
  range: MergeRange;
}

/**
 * The merged areas of one worksheet part (`xl/worksheets/sheet1.xml`) of an .xlsx opened from disk, in the order of
 * their top rows. Excel writes `<mergeCells>` after all the rows, and exceljs' streaming reader ignores them,
 * so this is a pass of its own over the part before the rows are read. The part is inflated and scanned as it
 * streams; only the ranges are kept.
 *
 * A regular expression over the streamed text rather than an XML parser: the one element wanted is flat
 * (`<mergeCell ref="A5:A9"/>`, maybe with a namespace prefix), `<` cannot occur unescaped inside text or
 * attribute values, and a SAX parser would spend its time on millions of cell events only to ignore them.
 */
export async function readMergeRanges(zip: yauzl.ZipFile, part: yauzl.Entry): Promise<MergeRange[]> {
  const ranges: MergeRange[] = [];
  const stream = await checkedPart(zip, part);
  const mergeCell = /<(?:[\w.-]+:)?mergeCell\s[^>]*?\bref\s*=\s*["']([^"']+)["']/g;
  let carry = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    // latin1 keeps every byte one character: multi-byte UTF-8 never forms `<` or ASCII letters.
    const text = carry + chunk.toString('latin1');
    const open = text.lastIndexOf('<');
    // A tag cut by the chunk's end is scanned with the next chunk.
    const cut = open >= 0 && text.indexOf('>', open) < 0 ? open : text.length;
    mergeCell.lastIndex = 0;
    for (let match = mergeCell.exec(text); match && match.index < cut; match = mergeCell.exec(text)) {
      const range = parseRange(match[1] ?? '');
      if (range) ranges.push(range);
    }
    carry = text.slice(cut);
  }
  return ranges.sort((a, b) => a.top - b.top || a.left - b.left);
}

/** `B2:D4` → its rows and columns; undefined for a single cell (nothing is covered) or a malformed ref. */
export function parseRange(ref: string): MergeRange | undefined {
  const match = /^\$?([A-Z]{1,3})\$?(\d+):\$?([A-Z]{1,3})\$?(\d+)$/i.exec(ref.trim());
  if (!match) return undefined;
  const [, c1 = '', r1 = '', c2 = '', r2 = ''] = match;
  const [a, b] = [columnIndex(c1), columnIndex(c2)];
  const [top, bottom] = [Number(r1), Number(r2)];
  const range = {
    ref: ref.trim().toUpperCase(),
    top: Math.min(top, bottom),
    bottom: Math.max(top, bottom),
    left: Math.min(a, b),
    right: Math.max(a, b),
  };
  return range.top === range.bottom && range.left === range.right ? undefined : range;
}

function columnIndex(letters: string): number {
  let n = 0;
  for (const char of letters.toUpperCase()) n = n * 26 + (char.charCodeAt(0) - 64);
  return n - 1;
}

interface RowCells {
  rowNumber: number;
  cells: string[];
  numberCells: number[];
  errorCells: ErrorCell[];
}

interface ActiveMerge {
  range: MergeRange;
  text: string;
  isNumber: boolean;
  /** The top-left cell shows an error (or a formula without its result): so does every cell it covers. */
  fault: ErrorCell | undefined;
}

/**
 * Fills the cells covered by merges with their top-left cell's value, as Excel shows them, while rows stream
 * by in order: a merge's value is remembered from its top row until its last row has passed, then forgotten.
 */
export class MergeFill {
  private next = 0;
  private active: ActiveMerge[] = [];

  constructor(private readonly ranges: readonly MergeRange[]) {}

  get empty(): boolean {
    return this.ranges.length === 0;
  }

  /** Fills `row` in place (rows must come in ascending order); returns the cells it covered. */
  fill(row: RowCells): CoveredCell[] {
    const r = row.rowNumber;
    if (this.active.length > 0) this.active = this.active.filter(({ range }) => range.bottom >= r);
    for (; this.next < this.ranges.length; this.next++) {
      const range = this.ranges[this.next];
      if (!range || range.top > r) break;
      if (range.bottom < r) continue;
      // A top row Excel did not store (nothing in it) shows nothing.
      const own = range.top === r;
      this.active.push({
        range,
        text: own ? (row.cells[range.left] ?? '') : '',
        isNumber: own && row.numberCells.includes(range.left),
        fault: own ? row.errorCells.find((cell) => cell.index === range.left) : undefined,
      });
    }
    const covered: CoveredCell[] = [];
    for (const { range, text, isNumber, fault } of this.active) {
      for (let column = range.left; column <= range.right; column++) {
        if (r === range.top && column === range.left) continue;
        while (row.cells.length <= column) row.cells.push('');
        row.cells[column] = text;
        const at = row.numberCells.indexOf(column);
        if (isNumber && at < 0) row.numberCells.push(column);
        if (!isNumber && at >= 0) row.numberCells.splice(at, 1);
        const faultAt = row.errorCells.findIndex((cell) => cell.index === column);
        if (faultAt >= 0) row.errorCells.splice(faultAt, 1);
        if (fault) row.errorCells.push({ ...fault, index: column });
        covered.push({ column, range });
      }
    }
    if (covered.length > 0) {
      row.numberCells.sort((a, b) => a - b);
      row.errorCells.sort((a, b) => a.index - b.index);
    }
    return covered;
  }
}
