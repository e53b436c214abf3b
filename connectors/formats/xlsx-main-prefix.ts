import { LONGEST_SKIPPED_START, SKIPPED_MARKUP } from './xml-skipped-markup.ts';

/**
 * The SpreadsheetML main namespace (`<worksheet>`, `<sheetData>`, `<row>`, `<sst>`, `<workbook>`): transitional
 * OOXML's, and the one Excel's "Strict Open XML Spreadsheet" save writes for the same elements (ISO/IEC 29500 Strict).
 */
const MAIN_NAMESPACES = [
  'http://schemas.openxmlformats.org/spreadsheetml/2006/main',
  'http://purl.oclc.org/ooxml/spreadsheetml/main',
];

/**
 * A prefix bound to the main namespace (`xmlns:x="…/spreadsheetml/2006/main"`), after white space or where the text
 * looked at starts (a chunk's start may cut the space off): the prefix the first group.
 */
const MAIN_PREFIX = new RegExp(
  `(?<!\\S)xmlns:([^\\s=:/>]+)\\s*=\\s*(["'])(?:${MAIN_NAMESPACES.map((name) => name.replace(/[./]/g, '\\$&')).join('|')})\\2`,
  'g',
);

/** Markup whose content is no tag, as bytes: skipped to its end. */
const SKIPPED = SKIPPED_MARKUP.map(([start, end]) => [Buffer.from(start), Buffer.from(end)] as const);
/** What is searched for, below the root, to find a prefix declared there: rare, and cheap to look for. */
const DECLARATION = Buffer.from('xmlns:');
/** How much of the text before a chunk is kept to find a declaration the chunk's start cuts: any real one. */
const DECLARATION_BYTES = 256;
const [LESS, BANG, QUESTION, GREATER, DOUBLE_QUOTE, SINGLE_QUOTE, X] = [
  0x3c, 0x21, 0x3f, 0x3e, 0x22, 0x27, 0x78,
];
const EMPTY = Buffer.alloc(0);

/**
 * A part's bytes with the prefix of the SpreadsheetML main namespace taken off its elements, on their way to the
 * parsers: `<x:worksheet xmlns:x="…/spreadsheetml/2006/main"><x:sheetData><x:row r="1"><x:c r="A1" t="s"><x:v>`
 * becomes `<worksheet xmlns:x="…"><sheetData><row r="1"><c r="A1" t="s"><v>`, and `</x:row>` `</row>`.
 *
 * The Open XML SDK (.NET) and some Java exporters write every part so; it is the same XML to a namespace-aware
 * reader, and Excel opens it. exceljs' parsers (and the scans over a sheet's text before them) match elements by
 * their name as written: a prefixed sheet read as empty (the file failed as `empty-file`), a prefixed workbook.xml
 * or styles.xml failed it as `not-a-workbook`. Only the prefix bound on the root element to the main namespace
 * (transitional, or strict as Excel's "Strict Open XML" save names it) is taken off: `r:id` and other namespaces'
 * prefixes (`mc:`, `x14ac:`) stay as written; a part without one (every part Excel writes) passes untouched. One
 * bound below the root is found (`misplaced`), not taken off: the part fails rather than read as empty. Comments,
 * CDATA and processing instructions are passed over (a cell's CDATA keeps its `<x:` text); a tag cut by a chunk's
 * end is finished with the next chunk.
 *
 * Bytes, not text: the markup looked for is ASCII, which no byte of a multi-byte UTF-8 character can be. Once the
 * root has said there is no prefix, chunks go on as they came; a prefixed sheet costs ~0.7 s per 300,000 rows.
 * Below the root every chunk is searched for `xmlns:` (native, no copy): ~50 ms over a 300,000-row workbook's
 * 380 MB of sheet and shared-string XML.
 */
export class MainPrefix {
  /** Bytes not passed on yet: markup cut by the chunk's end, or the root's start tag until it ends. */
  private carry: Buffer = EMPTY;
  /** Inside a comment, CDATA or processing instruction: the bytes that end it. */
  private skipTo: Buffer | undefined;
  /** Before the root's start tag is read: whether this part has a prefix to take off is not known yet. */
  private beforeRoot = true;
  /** `<x:` and `</x:` for the main namespace's prefix `x`; undefined when the part has none. */
  private open: Buffer | undefined;
  private close: Buffer | undefined;
  /** The prefix the root binds to the main namespace. */
  private prefix: string | undefined;
  /** The bytes scanned below the root before this chunk, of which the last `DECLARATION_BYTES` are looked at. */
  private before: Buffer = EMPTY;
  /**
   * A prefix bound to the main namespace below the root (`<sheetData xmlns:x="…/main"><x:row>`), once seen: what
   * it prefixes is not taken off (the part is read as it is), so the part cannot be read right and must fail.
   */
  misplaced: string | undefined;

  /** `maxHeld`: how much of the root's start tag (with its namespace declarations) may be held to read it whole. */
  constructor(private readonly maxHeld: number) {}

  /** The bytes of `chunk` that can go on: with what was held before, less what must wait for the next chunk. */
  scan(chunk: Buffer): Buffer {
    if (!this.beforeRoot) this.findMisplaced(chunk);
    if (!this.beforeRoot && this.open === undefined) return chunk;
    return this.rewrite(this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk, false);
  }

  /** What is still held at the part's end. */
  end(): Buffer {
    if (this.carry.length === 0) return EMPTY;
    return this.rewrite(this.carry, true);
  }

  /**
   * Looks for a prefix bound to the main namespace in the part below its root (`misplaced`). Excel writes none, so
   * what is looked for first is any prefix's declaration (`xmlns:`, a native search: no chunk of rows holds one);
   * only a chunk holding one (the extensions after the rows: `<ext xmlns:x14="…">`) is read as text.
   */
  private findMisplaced(bytes: Buffer): void {
    if (this.misplaced !== undefined) return;
    const before = this.before;
    // A reference to the chunk, not a copy; short chunks are joined, for a declaration cut into many.
    this.before =
      bytes.length >= DECLARATION_BYTES ? bytes : Buffer.concat([before, bytes]).subarray(-DECLARATION_BYTES);
    const whole = bytes.indexOf(DECLARATION) >= 0;
    // A declaration the chunk's start cuts: its `xmlns:` in the bytes before, or cut itself (an `x` at their end).
    const cut =
      before.indexOf(DECLARATION, -DECLARATION_BYTES) >= 0 ||
      before.indexOf(X, -(DECLARATION.length - 1)) >= 0;
    if (!whole && !cut) return;
    const text =
      (cut ? before.toString('latin1', Math.max(before.length - DECLARATION_BYTES, 0)) : '') +
      bytes.toString('latin1', 0, whole ? bytes.length : DECLARATION_BYTES);
    for (const declaration of mainPrefixes(text)) {
      // The root's own prefix declared again is the same binding; text that reads like a declaration is none.
      if (declaration[1] === this.prefix || !inTag(text, declaration.index)) continue;
      this.misplaced = declaration[1];
      return;
    }
  }

  /** `last`: no more bytes follow, so a `<` near the end is decided on what there is. */
  private rewrite(text: Buffer, last: boolean): Buffer {
    // What goes on is never longer than what came: copied into one buffer, not gathered as slices to join.
    let out: Buffer | undefined;
    let length = 0;
    let from = 0;
    let at = 0;
    let stop = text.length;
    while (at < text.length) {
      if (this.skipTo !== undefined) {
        const end = text.indexOf(this.skipTo, at);
        if (end < 0) {
          // The end marker may be cut by the chunk's end: its first bytes wait for the next chunk.
          if (!last) stop = Math.max(at, text.length - (this.skipTo.length - 1));
          break;
        }
        at = end + this.skipTo.length;
        this.skipTo = undefined;
        continue;
      }
      const lt = text.indexOf(LESS, at);
      if (lt < 0) break;
      // Too near the end to tell what the `<` opens: it waits for the next chunk.
      if (!last && text.length - lt < Math.max(LONGEST_SKIPPED_START, this.close?.length ?? 0)) {
        stop = lt;
        break;
      }
      const next = text[lt + 1];
      if (next === BANG || next === QUESTION) {
        const skipped = SKIPPED.find(([start]) => startsWith(text, start, lt));
        this.skipTo = skipped?.[1];
        at = lt + (skipped?.[0].length ?? 1);
        continue;
      }
      if (this.beforeRoot) {
        const close = tagEnd(text, lt);
        if (close < 0 && !last && text.length - lt <= this.maxHeld) {
          stop = lt;
          break;
        }
        // The root's start tag (or what a part without one holds): it tells the prefix, if any, once and for all.
        this.beforeRoot = false;
        const prefix = mainPrefixes(text.toString('latin1', lt, close < 0 ? text.length : close))[0]?.[1];
        this.prefix = prefix;
        if (close >= 0) this.findMisplaced(text.subarray(close + 1));
        if (prefix === undefined) break;
        this.open = Buffer.from(`<${prefix}:`, 'latin1');
        this.close = Buffer.from(`</${prefix}:`, 'latin1');
      }
      const tag = startsWith(text, this.open, lt)
        ? this.open
        : startsWith(text, this.close, lt)
          ? this.close
          : undefined;
      if (tag === undefined) {
        at = lt + 1;
        continue;
      }
      // `<` or `</` goes on; the prefix and its colon do not.
      out ??= Buffer.allocUnsafe(text.length);
      length += text.copy(out, length, from, lt + (tag === this.open ? 1 : 2));
      at = lt + tag.length;
      from = at;
    }
    this.carry = last ? EMPTY : text.subarray(stop);
    if (out === undefined) return text.subarray(from, stop);
    length += text.copy(out, length, from, stop);
    return out.subarray(0, length);
  }
}

/** The declarations in `text` that bind a prefix to the main namespace, in order; the prefix each one's first group. */
function mainPrefixes(text: string): RegExpExecArray[] {
  return [...text.matchAll(MAIN_PREFIX)];
}

/** Whether `at` in `text` is inside a tag: after a `<` with no `>` since (or neither seen: a tag longer than `text`). */
function inTag(text: string, at: number): boolean {
  return text.lastIndexOf('<', at) >= text.lastIndexOf('>', at);
}

/** Byte by byte: the needles are a few bytes long, and a native call per tag costs more than the loop. */
function startsWith(text: Buffer, what: Buffer | undefined, at: number): boolean {
  if (what === undefined || text.length - at < what.length) return false;
  for (let i = 0; i < what.length; i++) if (text[at + i] !== what[i]) return false;
  return true;
}

/** Where the tag opened at `open` ends: its first `>` outside a quoted value; -1 if not in `text` yet. */
function tagEnd(text: Buffer, open: number): number {
  for (let at = open; at < text.length; at++) {
    const byte = text[at];
    if (byte === GREATER) return at;
    if (byte === DOUBLE_QUOTE || byte === SINGLE_QUOTE) {
      at = text.indexOf(byte, at + 1);
      if (at < 0) return -1;
    }
  }
  return -1;
}
