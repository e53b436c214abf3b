import { sheetDefect } from './xlsx-part-text.ts';
import { ownScan } from './xlsx-reader-defect.ts';
import { LONGEST_SKIPPED_START, SKIPPED_MARKUP } from './xml-skipped-markup.ts';

/**
 * A sheet's XML with every row and cell given the reference (`r`) its place implies, on its way to exceljs.
 *
 * OOXML makes `r` optional on `<row>` and `<c>` (ECMA-376 Part 1, 18.3.1.73 and 18.3.1.4): a row without one is the
 * row after the one before it, a cell without one is in the column after the cell before it in its row (column A
 * for the first). Some legacy and Java exporters write sheets so, and Excel opens them; exceljs' streaming reader
 * cannot place such a cell (it throws, and the file failed as `not-a-workbook`). Written in here, the references
 * are what every later check reads too: a row number that does not strictly increase, a cell written twice (an
 * implied column that an explicit one repeats) fail as in any other sheet.
 *
 * A row without `r` and without a cell (`<row></row>`, `<row/>`) is left as it is, as before: it holds nothing, but
 * counts for the rows after it. A row without `r` whose first cell has one (`<row><c r="B7">`) is that cell's row.
 */
export async function* withImpliedRefs(
  text: AsyncIterable<string>,
  part: string,
  sheet: () => string | undefined,
  /** `CREDIT_ETL_MAX_LINE_BYTES`: what is held at most (a start tag cut by a chunk, an unnumbered row's start). */
  maxHeld: number,
): AsyncGenerator<string> {
  const refs = new ImpliedRefs(part, sheet, maxHeld);
  for await (const chunk of text) {
    const out = ownScan(() => refs.scan(chunk));
    if (out.length > 0) yield out;
  }
  const rest = ownScan(() => refs.end());
  if (rest.length > 0) yield rest;
}

class ImpliedRefs {
  /** Text not scanned yet: a tag (or the opening of skipped markup) cut by the chunk's end. */
  private carry = '';
  /** Inside a comment, CDATA or processing instruction: the text that ends it. */
  private skipTo: string | undefined;
  /** The number of the last row, written or implied. */
  private lastRow = 0;
  /** The row being read: its number (undefined when its `r` is not a number), and the next implied column. */
  private row: number | undefined;
  /** The row being read has an `r` that is no row number (`r=""`, `r="abc"`, `r="-3"`): what a cell in it fails with. */
  private badNumber: string | undefined;
  private nextColumn = 1;
  /**
   * The reference of the last cell that has one, since the last implied cell: the next implied column follows it.
   * Read only when one is implied: the chunk it starts in at `lastRefAt`, or the reference itself (`lastRefAt` -1).
   */
  private lastRef: string | undefined;
  private lastRefAt = -1;
  /** An unnumbered row's start tag and what followed it, held until its first cell or its end tells its number. */
  private held: { head: string; tail: string } | undefined;
  /** Text ready to go on. */
  private out = '';

  constructor(
    private readonly part: string,
    private readonly sheet: () => string | undefined,
    private readonly maxHeld: number,
  ) {}

  scan(chunk: string): string {
    const text = this.carry + chunk;
    this.carry = '';
    // Text from `from` on is not passed on yet: it goes in one piece, up to a tag that changes or holds something.
    let from = 0;
    let at = 0;
    let stop = text.length;
    while (at < text.length) {
      if (this.skipTo !== undefined) {
        const end = text.indexOf(this.skipTo, at);
        if (end < 0) {
          // The end marker may be cut by the chunk's end: its first characters wait for the next chunk.
          stop = Math.max(at, text.length - (this.skipTo.length - 1));
          break;
        }
        at = end + this.skipTo.length;
        this.skipTo = undefined;
        continue;
      }
      TOKEN.lastIndex = at;
      const token = TOKEN.exec(text);
      if (!token) {
        // A `<` too near the end to tell what it opens waits for the next chunk.
        const last = text.lastIndexOf('<');
        if (last >= at && text.length - last < LONGEST_TOKEN) stop = last;
        break;
      }
      const open = token.index;
      const next = text.charCodeAt(open + 1);
      if (next === C && text.startsWith(' r="', open + 2) && !this.held) {
        if (this.badNumber !== undefined) throw sheetDefect(this.part, this.sheet(), this.badNumber);
        // As Excel writes it (`<c r="D2"`): the reference is there, nothing to write in; read only if needed.
        const quote = text.indexOf('"', open + 6);
        if (quote < 0) {
          stop = open;
          break;
        }
        this.lastRef = text;
        this.lastRefAt = open + 6;
        at = quote + 1;
        continue;
      }
      if (next === BANG || next === QUESTION) {
        const skipped = SKIPPED_MARKUP.find(([start]) => text.startsWith(start, open));
        if (skipped) this.skipTo = skipped[1];
        else if (text.length - open < LONGEST_SKIPPED_START) {
          stop = open;
          break;
        }
        at = open + (skipped?.[0].length ?? 1);
        continue;
      }
      // A tag cut by the chunk's end is scanned with the next chunk (a tag's text holds no `<`, and ends at `>`).
      const close = tagEnd(text, open);
      if (close < 0) {
        stop = open;
        break;
      }
      this.emit(text.slice(from, open));
      at = close + 1;
      from = at;
      const tag = text.slice(open, at);
      if (next === C) this.cellTag(tag);
      else if (next === R) this.rowStart(tag);
      else this.rowEnd(tag);
    }
    this.emit(text.slice(from, stop));
    this.carry = text.slice(stop);
    if (this.held && this.held.head.length + this.held.tail.length > this.maxHeld) this.numberHeld(undefined);
    if (this.carry.length > this.maxHeld) throw tagTooLong(this.part, this.sheet(), this.maxHeld);
    const out = this.out;
    this.out = '';
    return out;
  }

  end(): string {
    // The part ends inside a tag or a held row: passed on as it is, for the parser to find the part cut short.
    const held = this.held ? this.held.head + this.held.tail : '';
    this.held = undefined;
    const rest = this.out + held + this.carry;
    this.out = '';
    this.carry = '';
    return rest;
  }

  private emit(text: string): void {
    if (this.held) this.held.tail += text;
    else this.out += text;
  }

  private cellTag(tag: string): void {
    if (this.badNumber !== undefined) throw sheetDefect(this.part, this.sheet(), this.badNumber);
    if (this.held) this.numberHeld(rowOfRef(referenceOf(tag)));
    this.emit(this.row === undefined ? tag : this.cellStart(tag));
  }

  private rowEnd(tag: string): void {
    if (this.held) this.releaseEmpty();
    this.row = undefined;
    this.badNumber = undefined;
    this.emit(tag);
  }

  private rowStart(tag: string): void {
    if (this.held) this.numberHeld(undefined);
    this.nextColumn = 1;
    this.lastRef = undefined;
    this.badNumber = undefined;
    const r = referenceOf(tag);
    if (r !== undefined) {
      // As exceljs reads it: `parseInt`. A row of number 0 is left to the order check, as it reads.
      const number = Number.parseInt(r, 10);
      // exceljs cannot place a cell in a row without a number (it failed the file without saying where).
      if (Number.isNaN(number) || number < 0) this.badNumber = this.notARowNumber(r);
      this.row = Number.isNaN(number) ? undefined : number;
      if (this.row !== undefined) this.lastRow = this.row;
      this.emit(tag);
      return;
    }
    this.row = undefined;
    if (tag.endsWith('/>')) {
      this.lastRow++;
      this.emit(tag);
      return;
    }
    // Its number is known at its first cell (which may say it) or its end (none: it holds nothing).
    this.held = { head: '<row', tail: tag.slice('<row'.length) };
  }

  private cellStart(tag: string): string {
    const r = referenceOf(tag);
    if (r !== undefined) {
      this.lastRef = r;
      this.lastRefAt = -1;
      return tag;
    }
    // The column after the last cell's, read only now: a sheet that writes every reference never reads one.
    if (this.lastRef !== undefined) {
      const last = this.lastRef;
      const at = this.lastRefAt;
      const column = columnOfRef(at < 0 ? last : last.slice(at, last.indexOf('"', at)));
      if (column !== undefined) this.nextColumn = column + 1;
      this.lastRef = undefined;
    }
    const ref = ` r="${columnLetters(this.nextColumn)}${this.row}"`;
    this.nextColumn++;
    return `<c${ref}${tag.slice(2)}`;
  }

  /** What a cell in a row whose `r` is `r` (no row number) fails the sheet with: where the row is. */
  private notARowNumber(r: string): string {
    const row = this.lastRow > 0 ? `第${this.lastRow}行之后的一行` : '第一行';
    const number = r.trim() === '' ? '行号为空' : `行号为「${r}」`;
    return `${row}${number}（行号应为从 1 开始的整数），其单元格无法定位`;
  }

  /** The held row has a cell: it is numbered (by its first cell's reference, else the row after the last). */
  private numberHeld(fromCell: number | undefined): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    this.row = fromCell ?? this.lastRow + 1;
    this.lastRow = this.row;
    this.out += `${held.head} r="${this.row}"${held.tail}`;
  }

  /** The held row ended without a cell: it goes on unnumbered, and counts for the rows after it. */
  private releaseEmpty(): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    this.lastRow++;
    this.out += held.head + held.tail;
  }
}

const [BANG, QUESTION, C, R] = [0x21, 0x3f, 0x63, 0x72];
const [GREATER, DOUBLE_QUOTE, SINGLE_QUOTE] = [0x3e, 0x22, 0x27];

/**
 * A cell's or row's start tag, a row's end tag (the name followed by a space, `>` or `/`, not `<cols>` nor
 * `<rowBreaks>`), or markup whose content is skipped.
 */
const TOKEN = /<(?:c[\s>/]|row[\s>/]|\/row[\s>]|!|\?)/g;
/** The most characters a token needs to be told (`</row>`). */
const LONGEST_TOKEN = 6;
/** The `r` attribute, quoted either way, not another attribute's value that reads like one. */
const ATTRIBUTE = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const CELL_REF = /^\s*\$?([A-Za-z]{1,3})\$?(\d*)\s*$/;

/**
 * Where the tag opened at `open` ends: its first `>` outside a quoted value (XML lets a value hold `>`, as in
 * `foo="a>b"`: the tag read up to it would miss an `r` after it, and get a second one), -1 if not in `text` yet.
 */
function tagEnd(text: string, open: number): number {
  for (let at = open; at < text.length; at++) {
    const char = text.charCodeAt(at);
    if (char === GREATER) return at;
    if (char === DOUBLE_QUOTE || char === SINGLE_QUOTE) {
      at = text.indexOf(char === DOUBLE_QUOTE ? '"' : "'", at + 1);
      if (at < 0) return -1;
    }
  }
  return -1;
}

function referenceOf(tag: string): string | undefined {
  ATTRIBUTE.lastIndex = 0;
  for (let match = ATTRIBUTE.exec(tag); match; match = ATTRIBUTE.exec(tag)) {
    if (match[1] === 'r') return match[2] ?? match[3] ?? '';
  }
  return undefined;
}

function columnOfRef(ref: string): number | undefined {
  const letters = CELL_REF.exec(ref)?.[1];
  if (!letters) return undefined;
  let n = 0;
  for (const char of letters.toUpperCase()) n = n * 26 + (char.charCodeAt(0) - 64);
  return n;
}

function rowOfRef(ref: string | undefined): number | undefined {
  const digits = ref === undefined ? undefined : CELL_REF.exec(ref)?.[2];
  return digits ? Number.parseInt(digits, 10) : undefined;
}

/** 1 → A, 27 → AA. */
function columnLetters(column: number): string {
  let name = '';
  for (let n = column; n > 0; n = Math.floor((n - 1) / 26)) {
    name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  }
  return name;
}

function tagTooLong(part: string, sheet: string | undefined, maxBytes: number): Error {
  return sheetDefect(
    part,
    sheet,
    `有一个标记超过 ${maxBytes} 个字符仍未结束（Excel 不会写出这样的内容），无法读取`,
  );
}
