import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import type { FormatOptions, RowStream } from '../contracts.ts';
import { type Limits, readLimits } from '../limits.ts';
import { detectDelimiter, openCsv } from './csv-format.ts';
import { hasUtf8Bom, SNIFF_BYTES } from './decode-text.ts';

/**
 * One data record of a UTF-8 CSV file as the skim found it, before any text is decoded: cell `i` is the bytes
 * `bytes[starts[i], ends[i])` (inside the quotes of a quoted cell), and `escaped[i]` is 1 when those bytes hold
 * doubled quotes `""`, each of which stands for one. The arrays are reused from record to record.
 */
export interface SkimmedRecord {
  readonly rowNumber: number;
  readonly bytes: Uint8Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly escaped: Uint8Array;
}

/** Decides about each data record of a skimmed file: taken (it never reaches the parser) or left to it. */
export interface RecordSkimmer {
  take(record: SkimmedRecord): boolean;
}

/**
 * The skim met what only the parser reads right: a quote never closed, text other than blanks after the closing
 * quote of a cell holding a line break, a record over the line limit or of more cells than the limit. The file
 * must be read again without the skim; records it took are taken by a unit that has not committed, so nothing of
 * it stands.
 */
export class SkimDeclined extends Error {}

/** A skimmed CSV file: the rows the skimmer left, parsed, and how many it took. */
export interface SkimmedCsv {
  rows: RowStream;
  /** Data records the skimmer took so far (all of them once `rows.batches` is done). */
  taken(): number;
  /** Why the skim gave up, once it has. */
  declined(): SkimDeclined | undefined;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
/** Byte classes of the unquoted-cell scan: ordinary, delimiter, a line break (CR or LF). */
const ORDINARY = 0;
const DELIMITER = 1;
const NEWLINE = 2;
/** The skim's working buffer: a chunk of the input and the record its predecessor cut (grown for longer ones). */
const WORK_BYTES = 1024 * 1024;

/**
 * A UTF-8 CSV file read in two lanes (issue #17): a byte-level skim finds every record's cells without decoding
 * or building a string, and offers each data record with exactly the header's number of cells to the skimmer;
 * the records it does not take (and the header) are passed on, as the very bytes they were, to the CSV format's
 * own parser (csv-format.ts), which numbers them by the rows they were in the file. A nightly re-delivery whose
 * rows are nearly all known thus costs little more than reading its bytes.
 *
 * The skim finds record boundaries by the parser's rules (csv-records.ts: CRLF, LF or CR outside quotes; a quoted
 * cell runs to its closing quote; text after a closing quote runs on to the next delimiter or line break) and takes
 * a record only where its reading is the parser's: cells unquoted, or quoted and closed before a delimiter or a
 * line break (blanks between dropped, as the parser drops them). A record with text after a closing quote, or bytes
 * that are not UTF-8, is left to the parser (whose problems it will raise); anything that could put the parser's
 * record boundaries elsewhere, or fail the file, declines the skim (SkimDeclined) before the parser sees it.
 */
export async function openSkimmedCsv(
  input: Readable,
  options: FormatOptions,
  headerCells: number,
  skimmer: RecordSkimmer,
): Promise<SkimmedCsv> {
  const skim = new CsvSkim(headerCells, skimmer, { ...readLimits(), ...options.limits });
  const residual = Readable.from(skim.residual(input, options), { objectMode: false });
  const { rows } = await openCsv(residual, { ...options, encoding: 'utf8' }, undefined, (record) =>
    skim.rowNumberOf(record),
  );
  return { rows, taken: () => skim.taken, declined: () => skim.declinedBy };
}

class CsvSkim {
  taken = 0;
  declinedBy: SkimDeclined | undefined;
  readonly #cells: number;
  readonly #skimmer: RecordSkimmer;
  readonly #limits: Pick<Limits, 'maxLineBytes' | 'maxCellsPerRow'>;
  /** The file row number of each record passed to the parser, in order (the header's is 1). */
  readonly #passed: number[] = [];
  #passedBefore = 0;
  readonly #starts: Int32Array;
  readonly #ends: Int32Array;
  readonly #escaped: Uint8Array;
  readonly #classes = new Uint8Array(256);
  #delimiter = 0;
  #rowNumber = 0;
  /**
   * Whether the bytes passed on so far end in a CR that ends a record alone: a record ending in LF is then not
   * taken, or the parser would read that CR and the LF of a blank line after the cut as one CRLF.
   */
  #passedEndsInCr = false;
  /** The one record object offered to the skimmer, refilled for each record. */
  readonly #record: {
    rowNumber: number;
    bytes: Uint8Array;
    starts: Int32Array;
    ends: Int32Array;
    escaped: Uint8Array;
  };

  constructor(
    headerCells: number,
    skimmer: RecordSkimmer,
    limits: Pick<Limits, 'maxLineBytes' | 'maxCellsPerRow'>,
  ) {
    this.#cells = headerCells;
    this.#skimmer = skimmer;
    this.#limits = limits;
    this.#starts = new Int32Array(headerCells);
    this.#ends = new Int32Array(headerCells);
    this.#escaped = new Uint8Array(headerCells);
    this.#record = {
      rowNumber: 0,
      bytes: new Uint8Array(0),
      starts: this.#starts,
      ends: this.#ends,
      escaped: this.#escaped,
    };
  }

  /** The file row number of the parser's `record`th record (1-based). */
  rowNumberOf(record: number): number {
    // Numbers the parser has read are let go of in blocks: memory follows the rows passed, not the file.
    if (record - this.#passedBefore > 65_536) {
      const drop = record - 1 - this.#passedBefore;
      this.#passed.splice(0, drop);
      this.#passedBefore += drop;
    }
    return this.#passed[record - 1 - this.#passedBefore]!;
  }

  /** The bytes passed on to the parser: the header and the records not taken, in file order. */
  async *residual(input: Readable, options: FormatOptions): AsyncGenerator<Buffer> {
    // One buffer read into again and again: the record cut by a chunk's end is carried over to its start by a copy,
    // and the skim allocates nothing per chunk but the bytes it passes on.
    let work = Buffer.allocUnsafe(WORK_BYTES);
    let carried = 0;
    let head = true;
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const filled = carried + chunk.length;
      if (filled > work.length) {
        const grown = Buffer.allocUnsafe(Math.max(filled, work.length * 2));
        work.copy(grown, 0, 0, carried);
        work = grown;
      }
      chunk.copy(work, carried);
      const bytes = work.subarray(0, filled);
      if (head) {
        // The layout is decided from the same start of the file (SNIFF_BYTES, as decodeText reads it) exactly as the
        // parser's reader decides it.
        carried = filled;
        if (filled < SNIFF_BYTES) continue;
        this.#decideLayout(bytes, options);
        head = false;
      }
      const lastBreak = Math.max(bytes.lastIndexOf(LF), bytes.lastIndexOf(CR));
      // A line break byte never sits inside a UTF-8 character: the bytes up to it are whole characters.
      const validUpTo = lastBreak >= 0 && isUtf8(bytes.subarray(0, lastBreak + 1)) ? lastBreak + 1 : 0;
      const { passed, rest } = this.#records(bytes, validUpTo, false);
      // Copied: the work buffer is read into again before the parser gets to them.
      if (passed.length > 0) yield Buffer.concat(passed);
      carried = filled - rest;
      if (carried > this.#limits.maxLineBytes) this.#decline('a record longer than the line limit');
      work.copyWithin(0, rest, filled);
    }
    const bytes = work.subarray(0, carried);
    if (head) {
      if (carried === 0) return;
      this.#decideLayout(bytes, options);
    }
    const { passed } = this.#records(bytes, 0, true);
    if (passed.length > 0) yield Buffer.concat(passed);
  }

  #decideLayout(head: Buffer, options: FormatOptions): void {
    const bom = hasUtf8Bom(head) ? 3 : 0;
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(head.subarray(bom), { stream: true });
    // Every delimiter there is (contracts.ts, DELIMITERS) is one ASCII byte.
    const delimiter =
      options.delimiter && options.delimiter !== 'auto'
        ? options.delimiter
        : detectDelimiter(text, options.headerRow ?? 1);
    this.#delimiter = delimiter.charCodeAt(0);
    this.#classes[this.#delimiter] = DELIMITER;
    this.#classes[LF] = NEWLINE;
    this.#classes[CR] = NEWLINE;
  }

  /**
   * The complete records of `bytes` from its start (the file's end closes the last one when `atEnd`): each taken
   * or passed on. `validUpTo`: bytes known to be UTF-8 (a record past it is checked itself). Returns the runs of
   * bytes passed on and where the unfinished record left over begins.
   */
  #records(bytes: Buffer, validUpTo: number, atEnd: boolean): { passed: Buffer[]; rest: number } {
    const passed: Buffer[] = [];
    let runStart = 0;
    let at = 0;
    if (this.#rowNumber === 0) {
      // The header (and a byte order mark before it, which the parser's decoder takes off) goes on as it is.
      const bom = hasUtf8Bom(bytes) ? 3 : 0;
      const end = this.#recordEnd(bytes, bom, atEnd);
      if (end < 0) return { passed, rest: 0 };
      this.#rowNumber = 1;
      this.#passed.push(1);
      this.#passedEndsInCr = bytes[end - 1] === CR;
      at = end;
    }
    const record = this.#record;
    record.bytes = bytes;
    for (;;) {
      const end = this.#recordEnd(bytes, at, atEnd);
      if (end < 0) break;
      if (end - at > this.#limits.maxLineBytes) this.#decline('a record longer than the line limit');
      this.#rowNumber++;
      record.rowNumber = this.#rowNumber;
      const take =
        this.#cellsFound === this.#cells &&
        !this.#leftToParser &&
        // Cutting it out would join a CR passed on before it with the LF of a blank line after it.
        !(this.#passedEndsInCr && bytes[end - 1] === LF) &&
        // A blank line (nothing, spaces or delimiters only) is the parser's to count.
        this.#holdsVisibleAscii(bytes) &&
        (end <= validUpTo || isUtf8(bytes.subarray(at, end))) &&
        this.#skimmer.take(record);
      if (take) {
        this.taken++;
        if (runStart < at) passed.push(bytes.subarray(runStart, at));
        runStart = end;
      } else {
        this.#passed.push(this.#rowNumber);
        this.#passedEndsInCr = bytes[end - 1] === CR;
      }
      at = end;
    }
    if (runStart < at) passed.push(bytes.subarray(runStart, at));
    return { passed, rest: at };
  }

  /** What the last record found: its cells, and whether a cell of it has text after its closing quote. */
  #cellsFound = 0;
  #leftToParser = false;

  /**
   * Where the record starting at `at` ends (past its line break), its cells noted; -1 when `bytes` ends first
   * (or holds nothing more at the file's end).
   */
  #recordEnd(bytes: Buffer, at: number, atEnd: boolean): number {
    const length = bytes.length;
    if (at >= length) return -1;
    const classes = this.#classes;
    let cell = 0;
    let i = at;
    this.#leftToParser = false;
    for (;;) {
      let start = i;
      let end: number;
      let escaped = 0;
      if (i < length && bytes[i] === QUOTE) {
        start = i + 1;
        let j = start;
        for (;;) {
          j = bytes.indexOf(QUOTE, j);
          if (j < 0 || j + 1 >= length) {
            if (!atEnd) return -1;
            if (j < 0) this.#decline('a quote never closed');
            break;
          }
          if (bytes[j + 1] !== QUOTE) break;
          escaped = 1;
          j += 2;
        }
        end = j;
        i = j + 1;
        if (i < length && classes[bytes[i]!] === ORDINARY) {
          // Bytes after the closing quote: the cell runs on to the next delimiter or line break. Blanks only are
          // dropped (the cell is what the quotes hold); anything else and the parser rejects its row, unless the
          // quoted part spans lines, which fails the file.
          const after = i;
          while (i < length && classes[bytes[i]!] === ORDINARY) i++;
          if (i >= length && !atEnd) return -1;
          if (!isBlank(bytes, after, i)) {
            const lf = bytes.indexOf(LF, start);
            const cr = bytes.indexOf(CR, start);
            if ((lf >= 0 && lf < j) || (cr >= 0 && cr < j))
              this.#decline('text after the closing quote of a cell holding a line break');
            this.#leftToParser = true;
          }
        }
      } else {
        while (i < length && classes[bytes[i]!] === ORDINARY) i++;
        end = i;
      }
      if (cell < this.#cells) {
        this.#starts[cell] = start;
        this.#ends[cell] = end;
        this.#escaped[cell] = escaped;
      }
      cell++;
      if (cell > this.#limits.maxCellsPerRow) this.#decline('more cells than the limit');
      if (i >= length) {
        if (!atEnd) return -1;
        this.#cellsFound = cell;
        return length;
      }
      if (bytes[i] === this.#delimiter) {
        i++;
        continue;
      }
      // A line break: CRLF, LF or CR (whether a CR is followed by LF is known only once the next byte is).
      if (bytes[i] === CR) {
        if (i + 1 >= length && !atEnd) return -1;
        this.#cellsFound = cell;
        return bytes[i + 1] === LF ? i + 2 : i + 1;
      }
      this.#cellsFound = cell;
      return i + 1;
    }
  }

  /**
   * Whether the record just found surely holds data: a visible ASCII character in one of its cells, which nearly
   * every record has in its first bytes. One without (blanks and delimiters only, or only U+3000 or Chinese
   * text) is left to the parser, which alone decides what a blank line is (csv-format.ts).
   */
  #holdsVisibleAscii(bytes: Uint8Array): boolean {
    for (let cell = 0; cell < this.#cells; cell++) {
      for (let at = this.#starts[cell]!; at < this.#ends[cell]!; at++) {
        const byte = bytes[at]!;
        if (byte > 0x20 && byte < 0x7f) return true;
      }
    }
    return false;
  }

  #decline(reason: string): never {
    this.declinedBy ??= new SkimDeclined(`the skim gave way to the parser: ${reason}`);
    throw this.declinedBy;
  }
}

/**
 * Whether `bytes[from, to)` are blanks only, as `trim()` takes them off the decoded text after a closing quote
 * (csv-records.ts): ASCII tab, VT, FF and space, and Unicode's (U+00A0, U+3000, U+FEFF…), the latter decided on
 * the decoded text itself.
 */
function isBlank(bytes: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const byte = bytes[i]!;
    if (byte === 0x20 || (byte >= 0x09 && byte <= 0x0d)) continue;
    if (byte < 0x80) return false;
    return bytes.toString('utf8', i, to).trim() === '';
  }
  return true;
}
