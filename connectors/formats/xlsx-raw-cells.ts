import type ExcelJS from 'exceljs';
import { FileFormatError } from '../contracts.ts';
import { LINE_BYTES_OPERATOR_NOTE, sizeText } from './csv-rows.ts';
import { isoDateText } from './xlsx-cell-text.ts';
import { sheetDefect } from './xlsx-part-text.ts';
import { ownScan } from './xlsx-reader-defect.ts';

/**
 * The cells exceljs' streaming sheet parser (4.4) reads wrong, read again from the sheet's XML on its way to it:
 * - an inline string in runs (`t="inlineStr"`, `<is><r><t>济南市</t></r><r><t>市场监督管理局</t></r></is>`, as WPS,
 *   some government systems and openpyxl's rich text write it) kept only its last run, and a phonetic guide
 *   (`<rPh>`) in place of the text;
 * - inline and plain strings (`t="str"`, a formula's text result too) were XML-decoded twice: the text `&lt;`,
 *   saved as `&amp;lt;`, loaded as `<`;
 * - a formula's logical result (`t="b"`) loaded as the number 1 or 0 instead of TRUE or FALSE;
 * - a date stored as ISO 8601 text (`t="d"`, `<v>2026-03-05T00:00:00Z</v>`, as LibreOffice, openpyxl's
 *   `iso_dates` and some Java exporters write it) loaded as the number 2026 (`parseFloat` of its text).
 * Shared strings (`t="s"`, what Excel writes; their table is `readSharedStrings`') and numbers are read by exceljs,
 * but with `parseInt`/`parseFloat` of their `<v>`, which read what no spreadsheet wrote as a value nobody saw: a
 * shared string `0.5` as string 0, a number `12abc` as 12, a logical `7` or `yes` as TRUE. The text decides: a
 * shared string's `<v>` must be an index (digits), a number's a number (xsd:double, finite; white space around it
 * allowed), a logical one 0, 1, true or false; anything else fails the file, naming the cell and its value. An
 * empty `<v>` (`<v></v>`, `<v/>`) of a cell without a formula is a blank cell, as LibreOffice reads it (its OOXML
 * import, sc/source/filter/oox/sheetdatacontext.cxx, sets a blank cell for an empty value of any type) and as Excel
 * shows it: exceljs made it NaN (the file failed) or TRUE.
 *
 * A regular expression finds the start tags of the cells (and counts the rows) in the text exceljs is about to
 * parse, so a cell's value is known before exceljs hands over its row; the common case exceljs reads right (a
 * number or an index in `<v>`, the whole content of the cell) is told by a loop over its characters, without
 * allocating, and only the cells it reads wrong are set. A row is matched by its place in the part and checked by
 * its number: should the two part, the file fails rather than a value land in another row.
 *
 * The same pass finds a cell written twice in a row (`<c r="D2">` twice): exceljs keeps the last value without a
 * word, so the file fails, naming the cell.
 */
export class RawCells {
  /** Corrections in document order, with the row they belong to (the how-many-th `<row>` of the part). */
  private readonly queue: Repair[] = [];
  private head = 0;
  private rowsOpened = 0;
  private rowsRead = 0;
  /** The number of the last row exceljs handed over (read whole, to its `</row>`): where a part cut short stops. */
  lastRow: number | undefined;
  /** Where the last `<row>` start tag is in the text being scanned (-1: in an earlier chunk). */
  private rowTag = -1;
  /** The number (`r`) of the row `rowsOpened` counts last, once read; `numbered` says which row that is. */
  private rowNumber = Number.NaN;
  private numbered = 0;
  /** Text not scanned yet: a tag cut by a chunk's end, or one of these cells not yet closed. */
  private carry = '';
  private inCell = false;
  /** Bytes of the cell being held (`inCell`). */
  private cellBytes = 0;
  /** Columns of the cells of the row being scanned, in the order written (Excel writes them left to right). */
  private columns: number[] = [];
  /** The carried text starts with a cell's start tag already counted in `columns`. */
  private cellCounted = false;
  /** Where the cell start tag last read (`readTag`) ends: its `>`. */
  private tagEnd = 0;
  /** The sheet's name, once exceljs has read it from the workbook: for messages. */
  sheet: string | undefined;

  constructor(
    private readonly part: string,
    /** `CREDIT_ETL_MAX_LINE_BYTES`: one of these cells' XML is held whole while it streams, up to this. */
    private readonly maxCellBytes: number,
  ) {}

  /** The part's text, unchanged, scanned as it passes. */
  async *watch(text: AsyncIterable<string>): AsyncGenerator<string> {
    for await (const chunk of text) {
      ownScan(() => this.scan(chunk));
      yield chunk;
    }
  }

  /** The row exceljs read (rows come in document order), its misread cells set to what the file holds. */
  repair(row: ExcelJS.Row): ExcelJS.Row {
    this.rowsRead++;
    this.lastRow = row.number;
    for (; this.head < this.queue.length; this.head++) {
      const repair = this.queue[this.head] as Repair;
      if (repair.row > this.rowsRead) break;
      if (repair.row !== this.rowsRead) continue;
      // Counted `<row>` tags and exceljs' rows part ways only over XML exceljs skips (a comment, CDATA).
      if (!Object.is(repair.rowNumber, row.number)) throw rowsApart(this.part, row.number, repair.rowNumber);
      apply(row.getCell(repair.column), repair);
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    return row;
  }

  private scan(chunk: string): void {
    if (this.inCell) {
      // Still inside a long cell: wait for its end tag (maybe cut by the chunk's start) before scanning again.
      if (!(this.carry.slice(-3) + chunk).includes('</c>')) {
        this.carry += chunk;
        this.hold(Buffer.byteLength(chunk));
        return;
      }
    }
    const text = this.carry + chunk;
    const open = text.lastIndexOf('<');
    // A tag cut by the chunk's end is scanned with the next chunk.
    const cut = open >= 0 && text.indexOf('>', open) < 0 ? open : text.length;
    const find = new Finder(text);
    this.rowTag = -1;
    TOKEN.lastIndex = 0;
    for (let match = TOKEN.exec(text); match && match.index < cut; match = TOKEN.exec(text)) {
      const start = match.index;
      if (text.charCodeAt(start + 1) !== C) {
        this.rowsOpened++;
        this.rowTag = start;
        this.columns.length = 0;
        continue;
      }
      if (this.cellCounted && start === 0) this.cellCounted = false;
      else this.cellAt(text, start);
      const type = this.readTag(text, start + 2);
      const body = this.tagEnd + 1;
      if (text.charCodeAt(body - 2) === SLASH || type === ERROR) continue;
      if (type === NUMBER || type === SHARED) {
        const after = valueRightTo(text, body, type);
        if (after > 0) {
          TOKEN.lastIndex = after;
          continue;
        }
      }
      const end = text.indexOf('</c>', body);
      if (end < 0) {
        this.numberRow(text);
        this.carry = text.slice(start);
        // Its start tag, scanned again with the next chunk, was counted.
        this.cellCounted = true;
        this.inCell = true;
        this.cellBytes = 0;
        this.hold(Buffer.byteLength(this.carry));
        return;
      }
      TOKEN.lastIndex = end + 4;
      if (type === NUMBER || type === SHARED) {
        const value = this.storedValue(text, start, body, end, type);
        if (value !== undefined) this.queueRepair(text, start, body, end, value);
        continue;
      }
      if (readRight(type, find, body, end)) continue;
      const value =
        type === LOGICAL
          ? this.logicalValue(text, start, body, end)
          : misreadValue(type, text.slice(body, end));
      if (value !== undefined) this.queueRepair(text, start, body, end, value);
    }
    this.numberRow(text);
    this.carry = text.slice(cut);
    this.inCell = false;
  }

  /**
   * Reads a cell's start tag from after its `<c` on, without allocating (this runs for every cell): its type
   * attribute (`t`, either quote, spaces around `=`), and where it ends (`tagEnd`, its `>`). Before `cut`, a start
   * tag is whole.
   */
  private readTag(text: string, from: number): CellType {
    let type: CellType = NUMBER;
    let quote = 0;
    for (let i = from; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (quote !== 0) {
        if (code === quote) quote = 0;
      } else if (code === QUOTE || code === APOSTROPHE) quote = code;
      else if (code === GREATER) {
        this.tagEnd = i;
        return type;
      } else if (code === T && isSpace(text.charCodeAt(i - 1))) {
        let at = i + 1;
        while (isSpace(text.charCodeAt(at))) at++;
        if (text.charCodeAt(at) !== EQUALS) continue;
        at++;
        while (isSpace(text.charCodeAt(at))) at++;
        quote = text.charCodeAt(at);
        if (quote !== QUOTE && quote !== APOSTROPHE) quote = 0;
        else {
          const close = text.indexOf(quote === QUOTE ? '"' : "'", at + 1);
          if (close < 0) break;
          type = typeNamed(text, at + 1, close);
          quote = 0;
          i = close;
        }
      }
    }
    this.tagEnd = text.length;
    return type;
  }

  /**
   * A number or shared string cell's `<v>` not in the form `valueRightTo` tells at once (written with a formula,
   * white space, a character reference, or wrong): null for an empty one (a blank cell), undefined when exceljs
   * reads it right; the file fails when it is no number, or no index into the shared strings.
   */
  private storedValue(
    text: string,
    start: number,
    body: number,
    end: number,
    type: CellType,
  ): null | undefined {
    const content = text.slice(body, end);
    const raw = valueText(content);
    if (raw === undefined) return undefined;
    const value = xmlText(raw);
    // A formula's empty result stays as exceljs reads it (no usable result: its row is rejected, as before).
    if (value === '') return FORMULA.test(content) ? undefined : null;
    const right = type === SHARED ? isIndexText(value) : isNumberText(value);
    if (!right) throw this.notAValue(text, start, type, value);
    return undefined;
  }

  /** A logical cell's value as the file stores it: the file fails for one that is not 0, 1, true or false. */
  private logicalValue(text: string, start: number, body: number, end: number): boolean | null | undefined {
    const content = text.slice(body, end);
    const raw = valueText(content);
    if (raw === undefined) return undefined;
    const value = xmlText(raw);
    if (value === '') return FORMULA.test(content) ? undefined : null;
    const logical = logicalOf(value);
    if (logical === undefined) throw this.notAValue(text, start, LOGICAL, value);
    return logical;
  }

  private queueRepair(text: string, start: number, body: number, end: number, value: Repair['value']): void {
    const letters = COLUMN.exec(text.slice(start, body))?.[1];
    // exceljs cannot place a cell without its reference either.
    if (!letters) return;
    this.numberRow(text);
    this.queue.push({
      column: columnNumber(letters),
      formula: FORMULA.test(text.slice(body, end)),
      value,
      row: this.rowsOpened,
      rowNumber: this.rowNumber,
    });
  }

  private notAValue(text: string, at: number, type: CellType, value: string): FileFormatError {
    const shown = value.length > SHOWN_CHARS ? `${value.slice(0, SHOWN_CHARS)}…` : value;
    const what =
      type === SHARED
        ? `标为共享字符串，存的却不是字符串的序号（应为 0、1、2 这样的整数）`
        : type === LOGICAL
          ? `标为逻辑值，存的却不是 0、1、true 或 false`
          : `标为数值，存的内容却不是数字`;
    return sheetDefect(
      this.part,
      this.sheet,
      `单元格 ${this.refAt(text, at)} ${what}（存的是「${shown}」），该单元格的内容无法读取`,
    );
  }

  /** The reference of the cell whose start tag is at `at`, as written (`C5`). */
  private refAt(text: string, at: number): string {
    CELL_REF.lastIndex = at;
    const [, letters = '', digits = ''] = CELL_REF.exec(text) ?? [];
    return `${letters.toUpperCase()}${digits}`;
  }

  /** Reads the number of the row last opened, while its start tag is in the text scanned. */
  private numberRow(text: string): void {
    if (this.numbered === this.rowsOpened || this.rowTag < 0) return;
    ROW_NUMBER.lastIndex = this.rowTag;
    // As exceljs reads it: `parseInt` of `r`, NaN without one.
    this.rowNumber = Number.parseInt(ROW_NUMBER.exec(text)?.[1] ?? '', 10);
    this.numbered = this.rowsOpened;
  }

  /** A cell's start tag at `at`: the file fails if its column already has a cell in this row. */
  private cellAt(text: string, at: number): void {
    // As Excel writes it (`<c r="D2"`), read without a regular expression: this runs for every cell.
    let column = 0;
    let i = at + 6;
    if (text.startsWith(' r="', at + 2)) {
      for (let code = text.charCodeAt(i); code >= 65 && code <= 90; code = text.charCodeAt(++i)) {
        column = column * 26 + code - 64;
      }
    }
    if (column === 0 || i - at > 9) {
      CELL_REF.lastIndex = at;
      const letters = CELL_REF.exec(text)?.[1];
      // Without a reference exceljs cannot place the cell and fails the sheet itself.
      if (!letters) return;
      column = columnNumber(letters);
    }
    const columns = this.columns;
    const last = columns[columns.length - 1];
    if (last !== undefined && column <= last && columns.includes(column)) throw this.cellTwice(text, at);
    columns.push(column);
  }

  private cellTwice(text: string, at: number): FileFormatError {
    return sheetDefect(
      this.part,
      this.sheet,
      `单元格 ${this.refAt(text, at)} 出现了两次（同一行中写了两个该列的单元格，无法确定以哪个值为准）`,
    );
  }

  private hold(bytes: number): void {
    this.cellBytes += bytes;
    if (this.cellBytes > this.maxCellBytes) throw cellTooLong(this.part, this.maxCellBytes);
  }
}

/** A cell's type (`t`), as exceljs reads it: one it does not know (`t="x"`) it reads as a number. */
const [NUMBER, SHARED, LOGICAL, ERROR, INLINE_STR, STR, DATE] = [0, 1, 2, 3, 4, 5, 6] as const;
type CellType = 0 | 1 | 2 | 3 | 4 | 5 | 6;

interface Repair {
  /** The how-many-th row of the part: exceljs' rows are counted the same way as they are read. */
  row: number;
  /** Its number (`r`), to check that the row exceljs hands over is this one. */
  rowNumber: number;
  /** 1-based, as exceljs numbers columns. */
  column: number;
  /** The cell has a formula: this is its result, and the formula stays as exceljs read it. */
  formula: boolean;
  /** null: a blank cell (an empty `<v>`). */
  value: string | boolean | null;
}

/** In one pass: a row's start tag (each is one row exceljs hands over), or a cell's. */
const TOKEN = /<row[\s>/]|<c[\s>/]/g;
/** A cell's reference (`r`) from its start tag on: column letters and row digits. */
const CELL_REF = /<c[^>]*?\sr\s*=\s*["']\s*\$?([A-Za-z]{1,3})\$?(\d*)/y;
const [C, V, T, SLASH, SPACE, LESS, GREATER, QUOTE, APOSTROPHE, EQUALS] = [
  0x63, 0x76, 0x74, 0x2f, 0x20, 0x3c, 0x3e, 0x22, 0x27, 0x3d,
];
const [DIGIT_0, DIGIT_9, PLUS, MINUS, DOT, UPPER_E, LOWER_E] = [0x30, 0x39, 0x2b, 0x2d, 0x2e, 0x45, 0x65];
const ROW_NUMBER = /<row[^>]*?\sr\s*=\s*["']\s*(\d*)/y;
const COLUMN = /\br\s*=\s*["']\$?([A-Za-z]{1,3})\$?\d/;
const FORMULA = /<f[\s>/]/;
/** An element's text; not one written empty (`<t/>`). */
const element = (name: string) => new RegExp(`<${name}(?:\\s[^>]*)?(?<!/)>([\\s\\S]*?)</${name}>`, 'g');
const INLINE = element('is');
const RUN_TEXT = element('t');
const VALUE = element('v');
/** `<v/>`: a value written empty, which exceljs reads as one (`''`). */
const EMPTY_VALUE = /<v(?:\s[^>]*)?\/>/;
/** A phonetic guide (furigana) over the text: not part of what the cell shows. */
const PHONETIC = /<rPh[\s>][\s\S]*?<\/rPh>/g;
/** Characters of a wrong value quoted in a message. */
const SHOWN_CHARS = 40;

const isSpace = (code: number) => code === SPACE || code === 0x09 || code === 0x0a || code === 0x0d;
const isDigit = (code: number) => code >= DIGIT_0 && code <= DIGIT_9;

function typeNamed(text: string, from: number, to: number): CellType {
  const length = to - from;
  if (length === 1) {
    const code = text.charCodeAt(from);
    return code === 0x73
      ? SHARED
      : code === 0x62
        ? LOGICAL
        : code === 0x65
          ? ERROR
          : code === 0x64
            ? DATE
            : NUMBER;
  }
  if (length === 3 && text.startsWith('str', from)) return STR;
  if (length === 9 && text.startsWith('inlineStr', from)) return INLINE_STR;
  return NUMBER;
}

/**
 * What exceljs reads right of a number or shared string cell, the common case, told by a loop over its characters:
 * a `<v>` that is the cell's whole content, holding a number (an index for a shared string) and nothing else. The
 * place after the cell's end tag, or -1 for any other cell (or one cut by the chunk's end): `storedValue` tells.
 */
function valueRightTo(text: string, body: number, type: CellType): number {
  if (
    text.charCodeAt(body) !== LESS ||
    text.charCodeAt(body + 1) !== V ||
    text.charCodeAt(body + 2) !== GREATER
  )
    return -1;
  const close = type === SHARED ? digitsTo(text, body + 3) : numberTo(text, body + 3);
  // An exponent may take a number past a double's range (`1E400`): `storedValue` tells.
  if (type === NUMBER && close > 0 && hasExponent(text, body + 3, close)) return -1;
  // `</v></c>`
  if (close < 0 || text.charCodeAt(close) !== LESS || text.charCodeAt(close + 1) !== SLASH) return -1;
  if (text.charCodeAt(close + 2) !== V || text.charCodeAt(close + 3) !== GREATER) return -1;
  if (text.charCodeAt(close + 4) !== LESS || text.charCodeAt(close + 5) !== SLASH) return -1;
  if (text.charCodeAt(close + 6) !== C || text.charCodeAt(close + 7) !== GREATER) return -1;
  return close + 8;
}

/** Where the digits from `from` on end; -1 without one. */
function digitsTo(text: string, from: number): number {
  let i = from;
  while (isDigit(text.charCodeAt(i))) i++;
  return i > from ? i : -1;
}

/**
 * Where a number as XML Schema writes a double (`-1.5`, `.5`, `5.`, `1E-3`) from `from` on ends; -1 without a
 * digit, or for an exponent without one.
 */
function numberTo(text: string, from: number): number {
  let i = from;
  let code = text.charCodeAt(i);
  if (code === PLUS || code === MINUS) code = text.charCodeAt(++i);
  let digits = 0;
  for (; isDigit(code); code = text.charCodeAt(++i)) digits++;
  if (code === DOT) for (code = text.charCodeAt(++i); isDigit(code); code = text.charCodeAt(++i)) digits++;
  if (digits === 0) return -1;
  if (code === UPPER_E || code === LOWER_E) {
    code = text.charCodeAt(++i);
    if (code === PLUS || code === MINUS) code = text.charCodeAt(++i);
    const exponent = i;
    while (isDigit(code)) code = text.charCodeAt(++i);
    if (i === exponent) return -1;
  }
  return i;
}

/** A shared string's index, maybe with white space around it: digits, as `parseInt` reads them whole. */
function isIndexText(text: string): boolean {
  const value = text.trim();
  return value !== '' && digitsTo(value, 0) === value.length;
}

/**
 * A finite number as XML Schema writes a double, maybe with white space around it (the type collapses it): what
 * `parseFloat` reads whole. Not `12abc` (read 12), `1,5` (read 1), `0x1F` (read 0), `INF`, `NaN`, nor `1E400`
 * (read as Infinity).
 */
function isNumberText(text: string): boolean {
  const value = text.trim();
  return value !== '' && numberTo(value, 0) === value.length && Number.isFinite(Number(value));
}

function hasExponent(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code === UPPER_E || code === LOWER_E) return true;
  }
  return false;
}

/** The text of a cell's `<v>` as written (`''` for `<v/>`), or undefined without one. */
function valueText(content: string): string | undefined {
  const raw = firstText(VALUE, content);
  if (raw !== undefined) return raw;
  return EMPTY_VALUE.test(content) ? '' : undefined;
}

/** The value of a text or date cell exceljs misreads, as the file holds it. */
function misreadValue(type: CellType, body: string): string | undefined {
  if (type === INLINE_STR && body.includes('<is')) return inlineText(body);
  const raw = firstText(VALUE, body);
  if (raw === undefined) return undefined;
  return type === DATE ? dateText(xmlText(raw)) : xmlText(raw);
}

/**
 * What exceljs reads right, the common case, told cheaply: text without a reference or a CR in one `<t>` or `<v>`
 * that ends the cell (exceljs also takes in what stands between that end tag and the cell's), a logical value
 * without a formula. A date stored as text never is.
 */
function readRight(type: CellType, find: Finder, body: number, end: number): boolean {
  if (type === DATE) return false;
  const { text } = find;
  if (type === LOGICAL) {
    return (
      find.formula.in(body, end) < 0 && (text.endsWith('<v>0</v>', end) || text.endsWith('<v>1</v>', end))
    );
  }
  // A reference, a CR (made LF by the parser), CDATA or a comment.
  if (find.reference.in(body, end) >= 0 || find.cr.in(body, end) >= 0 || find.markup.in(body, end) >= 0)
    return false;
  if (type === STR) return text.endsWith('</v>', end);
  const run = find.run.in(body, end);
  return (
    run >= 0 &&
    find.run.in(run + 2, end) < 0 &&
    (text.endsWith('</t></is>', end) || text.endsWith('</t></r></is>', end))
  );
}

/**
 * `indexOf` within a cell, over cells taken in order: each needle's next place is remembered, so a chunk with no
 * `&` in it is searched for one once, not once per cell.
 */
class Finder {
  readonly formula: Ahead;
  readonly reference: Ahead;
  readonly cr: Ahead;
  readonly markup: Ahead;
  readonly run: Ahead;

  constructor(readonly text: string) {
    this.formula = new Ahead(text, '<f');
    this.reference = new Ahead(text, '&');
    this.cr = new Ahead(text, '\r');
    this.markup = new Ahead(text, '<!');
    this.run = new Ahead(text, '<t');
  }
}

class Ahead {
  private next = -1;

  constructor(
    private readonly text: string,
    private readonly needle: string,
  ) {}

  /** Where the needle is first found from `from` on, if before `end`; else -1. */
  in(from: number, end: number): number {
    if (this.next < from) {
      this.next = this.text.indexOf(this.needle, from);
      if (this.next < 0) this.next = this.text.length;
    }
    return this.next < end ? this.next : -1;
  }
}

/** All runs of `<is>`, as Excel shows them, phonetic guides left out. */
function inlineText(body: string): string {
  const inline = firstText(INLINE, body);
  if (inline === undefined) return '';
  const runs = inline.includes('<rPh') ? inline.replace(PHONETIC, '') : inline;
  let text = '';
  RUN_TEXT.lastIndex = 0;
  for (let match = RUN_TEXT.exec(runs); match; match = RUN_TEXT.exec(runs)) text += xmlText(match[1] ?? '');
  return text;
}

function firstText(pattern: RegExp, xml: string): string | undefined {
  pattern.lastIndex = 0;
  return pattern.exec(xml)?.[1];
}

/**
 * A date stored as text, as a date cell's text reads (`2026-03-05`, with ` HH:MM:SS` when it has a time); text that
 * is no ISO 8601 date stays as it is, for the field's check to quote.
 */
function dateText(text: string): string {
  return isoDateText(text) ?? text;
}

/** `1`/`0` (or `true`/`false`) as the file stores a logical value; undefined for anything else. */
function logicalOf(raw: string): boolean | undefined {
  const value = raw.trim().toLowerCase();
  return value === '1' || value === 'true' ? true : value === '0' || value === 'false' ? false : undefined;
}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const REFERENCE = /&(?:#(\d+)|#x([0-9A-Fa-f]+)|(lt|gt|amp|quot|apos));/g;

/**
 * Text as an XML parser gives it: line ends normalized (a CR is kept only as `&#13;`), references decoded once,
 * CDATA as it stands, comments left out.
 */
export function xmlText(raw: string): string {
  const lines = raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw;
  if (!lines.includes('<')) return decodeReferences(lines);
  return lines.replace(MARKUP_IN_TEXT, (_all, cdata?: string, plain?: string) =>
    cdata !== undefined ? cdata : plain !== undefined ? decodeReferences(plain) : '',
  );
}

const MARKUP_IN_TEXT = /<!\[CDATA\[([\s\S]*?)\]\]>|<!--[\s\S]*?-->|([^<]+)/g;

function decodeReferences(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(REFERENCE, (reference, decimal?: string, hex?: string, name?: string) => {
    if (name) return NAMED[name] ?? reference;
    const code = decimal ? Number(decimal) : Number.parseInt(hex ?? '', 16);
    return code <= 0x10ffff ? String.fromCodePoint(code) : reference;
  });
}

function columnNumber(letters: string): number {
  let n = 0;
  for (const char of letters.toUpperCase()) n = n * 26 + (char.charCodeAt(0) - 64);
  return n;
}

function apply(cell: ExcelJS.Cell, repair: Repair): void {
  if (!repair.formula) {
    cell.value = repair.value;
    return;
  }
  const formula = cell.value;
  // exceljs saw the same `<f>`: its formula is kept, only the result it read wrong is replaced.
  if (
    formula !== null &&
    typeof formula === 'object' &&
    ('formula' in formula || 'sharedFormula' in formula)
  ) {
    cell.value = { ...formula, result: repair.value } as ExcelJS.CellValue;
  }
}

function rowsApart(part: string, read: number, scanned: number): FileFormatError {
  return new FileFormatError(
    'not-a-workbook',
    `工作簿的 ${part} 结构异常：读到第${read}行时，按 XML 应为第${scanned}行（表格数据中夹有注释或 CDATA 等 Excel 不会写入的内容），为免把单元格的值放错行，整个文件未入库：请用 Excel 打开后另存为 .xlsx 重新报送`,
  );
}

function cellTooLong(part: string, maxBytes: number): FileFormatError {
  return new FileFormatError(
    'cell-too-long',
    `工作簿的 ${part} 中有一个单元格（内嵌文本或公式文本）超过 ${sizeText(maxBytes)}，整个文件未入库：请找出并精简这个异常的单元格（常见原因是误粘贴了大段内容），或另存为 CSV 后报送${LINE_BYTES_OPERATOR_NOTE}`,
  );
}
