/**
 * How the text of a CSV file splits into records and cells: the rules Excel opens a file by, so that every line a
 * person sees in Excel is a row here too. (Python's `csv` module reads its Excel dialect otherwise after a closing
 * quote: it keeps `"甲"  ,` as `甲  ` and takes `"济南市"市场监督管理局` as 济南市市场监督管理局 without a word.)
 *
 * - Outside quotes, a record ends at CRLF, LF or CR, whichever comes: a file whose lines end in different ways (a
 *   header saved on Windows, rows appended on Unix) is read line by line. The end of the text ends the last record;
 *   a final line break opens no empty one.
 * - A cell that starts with `"` is quoted: it runs to the next `"` that is not doubled; delimiters and line breaks
 *   inside it are text, and `""` stands for `"`.
 * - A quote anywhere else in a cell is text (`济南"市"局`).
 * - After a closing quote comes a delimiter, a line break or the end of the text; blanks before it are dropped
 *   (`"甲"  ,`). Anything else (`"济南市"市场监督管理局`) means the quote did not close the cell: Excel reads on to
 *   the next delimiter or line break as unquoted text (济南市市场监督管理局), and so does this reader, so the cell
 *   never swallows the lines after it. The cell keeps its text as written and `strayQuote` names it: what the
 *   provider meant (济南市市场监督管理局, or the quotes as part of the name) is a guess, so its row is rejected.
 *   When such a cell's quoted part already spans line breaks, the quote that opened it was most likely never
 *   meant to be closed there, and the lines it took in are no cell of it: `failure` says so and the file fails.
 */
export class CsvRecordReader {
  /** The cells of the record last read. */
  cells: string[] = [];
  /** The record's first cell whose quote was not closed Excel's way (text after the closing quote), or -1. */
  strayQuote = -1;
  /**
   * What makes the record's place in the file unknown: a quote never closed before the end of the text, or a stray
   * quote whose quoted part spans lines. Then nothing after the record can be read as rows.
   */
  failure: 'unterminated-quote' | 'stray-quote-across-lines' | undefined;
  /** The cell the failure is in. */
  failedCell = -1;

  readonly #delimiter: string;
  readonly #delimiterCode: number;
  #text = '';
  #final = false;
  /** The first delimiter, LF and CR at or after where they were last looked for (the text's length: none). */
  #nextDelimiter = -1;
  #nextLf = -1;
  #nextCr = -1;

  constructor(delimiter: string) {
    this.#delimiter = delimiter;
    this.#delimiterCode = delimiter.charCodeAt(0);
  }

  /** The text records are read from next; `final`: nothing follows it (the end of the file). */
  begin(text: string, final: boolean): void {
    this.#text = text;
    this.#final = final;
    this.#nextDelimiter = -1;
    this.#nextLf = -1;
    this.#nextCr = -1;
  }

  /**
   * Reads the record that starts at `at`: returns where the next one starts (past the line break), or -1 when the
   * text ends before the record is known to (more text may change it) or holds nothing more.
   */
  read(at: number): number {
    const text = this.#text;
    const length = text.length;
    if (at >= length) return -1;
    const cells: string[] = [];
    this.strayQuote = -1;
    this.failure = undefined;
    this.failedCell = -1;
    let i = at;
    for (;;) {
      let end: number;
      if (text.charCodeAt(i) === QUOTE) {
        let close = -1;
        let escaped = false;
        for (let from = i + 1; ; ) {
          close = text.indexOf('"', from);
          if (close < 0) {
            if (!this.#final) return -1;
            cells.push(text.slice(i + 1));
            return this.#failed('unterminated-quote', cells, length);
          }
          // A quote last in the text may be the first of a doubled one.
          if (close + 1 >= length && !this.#final) return -1;
          if (text.charCodeAt(close + 1) !== QUOTE) break;
          escaped = true;
          from = close + 2;
        }
        const after = close + 1;
        const next = after < length ? text.charCodeAt(after) : LF;
        if (next === this.#delimiterCode || next === LF || next === CR) {
          const inner = text.slice(i + 1, close);
          cells.push(escaped ? inner.replaceAll('""', '"') : inner);
          end = after;
        } else {
          end = this.#cellEnd(after);
          if (end < 0) return -1;
          if (text.slice(after, end).trim() === '') {
            const inner = text.slice(i + 1, close);
            cells.push(escaped ? inner.replaceAll('""', '"') : inner);
          } else {
            cells.push(text.slice(i, end));
            if (this.strayQuote < 0) this.strayQuote = cells.length - 1;
            if (this.failure === undefined && holdsLineBreak(text, i + 1, close)) {
              this.failure = 'stray-quote-across-lines';
              this.failedCell = cells.length - 1;
            }
          }
        }
      } else {
        end = this.#cellEnd(i);
        if (end < 0) return -1;
        cells.push(text.slice(i, end));
      }
      if (end >= length) {
        // Only at the end of the file: otherwise the cell's end was not yet known.
        this.cells = cells;
        return length;
      }
      const c = text.charCodeAt(end);
      if (c === this.#delimiterCode) {
        i = end + 1;
        continue;
      }
      if (c === CR && end + 1 >= length && !this.#final) return -1;
      this.cells = cells;
      return c === CR && text.charCodeAt(end + 1) === LF ? end + 2 : end + 1;
    }
  }

  #failed(failure: 'unterminated-quote', cells: string[], end: number): number {
    this.cells = cells;
    this.failure = failure;
    this.failedCell = cells.length - 1;
    return end;
  }

  /** Where an unquoted run of text from `from` ends: at a delimiter or a line break; -1 when not yet known. */
  #cellEnd(from: number): number {
    const text = this.#text;
    const length = text.length;
    if (this.#nextDelimiter < from) {
      const found = text.indexOf(this.#delimiter, from);
      this.#nextDelimiter = found < 0 ? length : found;
    }
    if (this.#nextLf < from) {
      const found = text.indexOf('\n', from);
      this.#nextLf = found < 0 ? length : found;
    }
    if (this.#nextCr < from) {
      const found = text.indexOf('\r', from);
      this.#nextCr = found < 0 ? length : found;
    }
    let end = Math.min(this.#nextDelimiter, this.#nextLf);
    if (this.#nextCr < end) end = this.#nextCr;
    if (end >= length && !this.#final) return -1;
    return end;
  }
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

function holdsLineBreak(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === LF || c === CR) return true;
  }
  return false;
}
