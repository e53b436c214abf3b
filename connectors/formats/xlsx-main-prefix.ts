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
/**
 * How many of the last bytes below the root are kept for the next chunk: more than any markup the check decides on
 * needs (`<![CDATA[`, `xmlns:`, `-->`), so one cut by a chunk's end is read whole with the next chunk.
 */
const HISTORY_BYTES = 16;
/** The most bytes before a chunk's end that may begin markup not yet told (`<![CDATA` less its last byte). */
const UNDECIDED_BYTES = LONGEST_SKIPPED_START - 1;
/** The main namespaces as bytes, compared byte by byte with a declaration's value as it streams. */
const MAIN_BYTES = MAIN_NAMESPACES.map((name) => Buffer.from(name, 'latin1'));
const [LESS, BANG, QUESTION, GREATER, DOUBLE_QUOTE, SINGLE_QUOTE, EQUALS] = [
  0x3c, 0x21, 0x3f, 0x3e, 0x22, 0x27, 0x3d,
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
 * CDATA and processing instructions are passed over, by both (a cell's CDATA keeps its `<x:` text, and a commented-out
 * `<sheetData xmlns:x="…/main">` binds nothing); a tag cut by a chunk's end is finished with the next chunk, and a
 * declaration below the root is read however many chunks cut it.
 *
 * Bytes, not text: the markup looked for is ASCII, which no byte of a multi-byte UTF-8 character can be. Once the
 * root has said there is no prefix, chunks go on as they came; a prefixed sheet costs ~0.7 s per 300,000 rows.
 * Below the root every chunk is searched for `xmlns:` (native, no copy: ~50 ms over a 300,000-row workbook's 380 MB
 * of sheet and shared-string XML), and for the `!` and `?` that open a comment, CDATA or processing instruction
 * (single bytes, rare in that XML: native searches too, nothing allocated).
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
  /**
   * The check below the root (`findMisplaced`): the last bytes it was given (a reference to the last chunk, joined
   * only when chunks are short), of which the last `undecided` are read again with the next chunk (markup cut by the
   * chunk's end); inside a comment, CDATA or processing instruction, the bytes that end it; whether a tag is open
   * where the bytes read again start; the declaration being read when a chunk's end cut it.
   */
  private history: Buffer = EMPTY;
  private undecided = 0;
  private checkSkipTo: Buffer | undefined;
  private tagOpen = false;
  private declaration: Declaration | undefined;
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
   * Looks for a prefix bound to the main namespace in the part below its root (`misplaced`), in tags only: not in
   * text, comments, CDATA or processing instructions (`SKIPPED_MARKUP`), wherever chunks cut them. Excel writes no
   * declaration below the root, nor any markup of these: what is looked for is a few rare bytes (`!`, `?`, the
   * declaration's `xmlns:`: native searches, no copy, nothing allocated for chunks of rows), and only what is found
   * is read further. A declaration is read byte by byte as it streams, however long it is and however many chunks
   * cut it (white space around its `=`, a long prefix).
   */
  private findMisplaced(bytes: Buffer): void {
    if (this.misplaced !== undefined) return;
    const history = this.history;
    const from = -this.undecided;
    const end = bytes.length;
    let at = from;
    // The next `!`, `?` and `xmlns:` from `at` on (`end` for none): each searched for again only once passed.
    let bang = from - 1;
    let question = from - 1;
    let declared = from - 1;
    for (;;) {
      if (this.declaration !== undefined) {
        at = this.readDeclaration(history, bytes, at);
        if (this.misplaced !== undefined) return;
        if (at < 0) {
          at = end;
          break;
        }
        continue;
      }
      if (this.checkSkipTo !== undefined) {
        const close = findAcross(history, bytes, this.checkSkipTo, at);
        if (close >= end) {
          // The end marker may be cut by the chunk's end: its first bytes are read again with the next chunk.
          at = Math.max(at, end - (this.checkSkipTo.length - 1));
          break;
        }
        at = close + this.checkSkipTo.length;
        this.checkSkipTo = undefined;
        continue;
      }
      if (bang < at) bang = findByteAcross(history, bytes, BANG, at);
      if (question < at) question = findByteAcross(history, bytes, QUESTION, at);
      if (declared < at) declared = findAcross(history, bytes, DECLARATION, at);
      const mark = Math.min(bang, question);
      if (mark < declared) {
        const lt = mark - 1;
        if (lt < at || byteAt(history, bytes, lt) !== LESS) {
          at = mark + 1;
          continue;
        }
        const skipped = skippedAt(history, bytes, lt);
        if (skipped === undefined) {
          // Cut by the chunk's end before it tells which markup it opens: read again with the next chunk.
          at = lt;
          break;
        }
        if (skipped === null) {
          at = mark + 1;
          continue;
        }
        this.checkSkipTo = skipped[1];
        at = lt + skipped[0].length;
        continue;
      }
      if (declared >= end) break;
      const previous = declared - 1;
      // As in a tag: after white space (`<sheetData xmlns:x=`), not `a:xmlns:x=` nor text (`<t>a xmlns:x="…"</t>`).
      const spaced = previous < -history.length || isSpace(byteAt(history, bytes, previous));
      if (spaced && this.tagOpenAt(history, bytes, from, declared)) {
        this.declaration = { phase: PREFIX, prefix: '', long: false, quote: 0, matched: 0, alive: ALL_MAIN };
      }
      at = declared + DECLARATION.length;
    }
    // Markup, or a declaration's `xmlns:`, that the chunk's end may cut is read again with the next chunk.
    const undecided = this.declaration !== undefined ? 0 : Math.min(end - at, UNDECIDED_BYTES);
    this.tagOpen = this.tagOpenAt(history, bytes, from, end - undecided);
    this.undecided = undecided;
    this.history = end >= HISTORY_BYTES ? bytes : Buffer.concat([history, bytes]).subarray(-HISTORY_BYTES);
  }

  /**
   * Whether a tag is open at `at` (virtual: below 0 in `history`): the last `<` or `>` since `from` tells, else the
   * state where `from` is. A comment, CDATA or processing instruction ends with `>`, so what precedes it is past.
   */
  private tagOpenAt(history: Buffer, bytes: Buffer, from: number, at: number): boolean {
    if (at > 0) {
      const lt = bytes.lastIndexOf(LESS, at - 1);
      const gt = bytes.lastIndexOf(GREATER, at - 1);
      if (lt >= 0 || gt >= 0) return lt > gt;
    }
    for (let i = Math.min(at, 0) - 1; i >= from; i--) {
      const byte = history[history.length + i];
      if (byte === LESS) return true;
      if (byte === GREATER) return false;
    }
    return this.tagOpen;
  }

  /**
   * Reads the declaration after its `xmlns:` from `at` on (`xmlns:x = "…/main"`, as `MAIN_PREFIX` matches one):
   * where it ends (or where what follows is no declaration of the main namespace), -1 when the chunk ends first.
   */
  private readDeclaration(history: Buffer, bytes: Buffer, at: number): number {
    const declaration = this.declaration as Declaration;
    for (let i = at; i < bytes.length; i++) {
      const byte = byteAt(history, bytes, i) ?? 0;
      switch (declaration.phase) {
        case PREFIX:
          if (!isSpace(byte) && byte !== EQUALS && byte !== 0x3a && byte !== 0x2f && byte !== GREATER) {
            if (declaration.prefix.length < this.maxHeld) declaration.prefix += String.fromCharCode(byte);
            else declaration.long = true;
            continue;
          }
          if (declaration.prefix === '') return this.endDeclaration(i);
          declaration.phase = BEFORE_EQUALS;
          i--;
          continue;
        case BEFORE_EQUALS:
          if (isSpace(byte)) continue;
          if (byte !== EQUALS) return this.endDeclaration(i);
          declaration.phase = AFTER_EQUALS;
          continue;
        case AFTER_EQUALS:
          if (isSpace(byte)) continue;
          if (byte !== DOUBLE_QUOTE && byte !== SINGLE_QUOTE) return this.endDeclaration(i);
          declaration.quote = byte;
          declaration.phase = VALUE;
          continue;
        default: {
          if (byte === declaration.quote) {
            const main = MAIN_BYTES.some(
              (name, n) => (declaration.alive & (1 << n)) !== 0 && name.length === declaration.matched,
            );
            // The root's own prefix declared again is the same binding.
            if (main && (declaration.long || declaration.prefix !== this.prefix))
              this.misplaced = declaration.prefix;
            return this.endDeclaration(i + 1);
          }
          for (let n = 0; n < MAIN_BYTES.length; n++) {
            if (MAIN_BYTES[n]?.[declaration.matched] !== byte) declaration.alive &= ~(1 << n);
          }
          declaration.matched++;
          // Another namespace (`xmlns:x14="…"`): read past as any other bytes.
          if (declaration.alive === 0) return this.endDeclaration(i + 1);
        }
      }
    }
    return -1;
  }

  private endDeclaration(at: number): number {
    this.declaration = undefined;
    return at;
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

/** A declaration below the root read so far: its prefix, then its value compared with the main namespaces. */
interface Declaration {
  phase: typeof PREFIX | typeof BEFORE_EQUALS | typeof AFTER_EQUALS | typeof VALUE;
  prefix: string;
  /** Its prefix is longer than any the root may bind (`maxHeld`): only its start is kept, for the message. */
  long: boolean;
  quote: number;
  /** Bytes of the value read. */
  matched: number;
  /** Bit n: the value read so far is the start of `MAIN_BYTES[n]`. */
  alive: number;
}
const [PREFIX, BEFORE_EQUALS, AFTER_EQUALS, VALUE] = [0, 1, 2, 3] as const;
const ALL_MAIN = (1 << MAIN_BYTES.length) - 1;

const isSpace = (byte: number | undefined) =>
  byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;

/**
 * The byte at `at` of the bytes below the root as one text: `bytes` from 0 on, the last of `history` (what came
 * before them) below 0.
 */
function byteAt(history: Buffer, bytes: Buffer, at: number): number | undefined {
  return at < 0 ? history[history.length + at] : bytes[at];
}

/** Where `needle` is first found from `at` on in `history` and `bytes` as one text (`byteAt`), else `bytes.length`. */
function findAcross(history: Buffer, bytes: Buffer, needle: Buffer, at: number): number {
  for (let start = at; start < 0; start++) {
    let i = 0;
    while (i < needle.length && byteAt(history, bytes, start + i) === needle[i]) i++;
    if (i === needle.length) return start;
  }
  const found = bytes.indexOf(needle, Math.max(at, 0));
  return found < 0 ? bytes.length : found;
}

/** `findAcross` of one byte: a native search over `bytes`, where a rare byte is found at memchr's speed. */
function findByteAcross(history: Buffer, bytes: Buffer, byte: number, at: number): number {
  for (let i = at; i < 0; i++) if (history[history.length + i] === byte) return i;
  const found = bytes.indexOf(byte, Math.max(at, 0));
  return found < 0 ? bytes.length : found;
}

/**
 * The skipped markup (`SKIPPED`) opened by the `<` at `lt`; null for none (`<!DOCTYPE`, refused before); undefined
 * while the bytes there end before telling.
 */
function skippedAt(history: Buffer, bytes: Buffer, lt: number): (typeof SKIPPED)[number] | null | undefined {
  let cut = false;
  for (const markup of SKIPPED) {
    const [start] = markup;
    let i = 0;
    while (i < start.length && lt + i < bytes.length && byteAt(history, bytes, lt + i) === start[i]) i++;
    if (i === start.length) return markup;
    if (lt + i >= bytes.length) cut = true;
  }
  return cut ? undefined : null;
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
