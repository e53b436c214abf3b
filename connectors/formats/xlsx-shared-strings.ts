import v8 from 'node:v8';
import { resourceLimits } from 'node:worker_threads';
import { SaxesParser } from 'saxes';
import { FileFormatError } from '../contracts.ts';
import { LINE_BYTES_OPERATOR_NOTE, sizeText } from './csv-rows.ts';

/** Strings per joined chunk: large enough that the per-chunk overhead vanishes, small enough to join cheaply. */
const CHUNK = 4096;
const MB = 2 ** 20;

/** The young generation V8 counts in `heap_size_limit` on 64-bit machines: three 16 MB semi-spaces. */
const YOUNG_GENERATION = 48 * MB;

/** What the program itself keeps live while a workbook is read (measured: ~26 MB before the first string). */
const PROGRAM_HEAP = 16 * MB;

/**
 * How much of the heap the table may take: half of the old space, less what the program itself needs (the CLI
 * ships with a 192 MB cap; the rows being read need the other half). Past it the unit fails with a clear error
 * instead of the whole process dying of V8's out-of-memory abort. With the shipped cap: 80 MB, about 2 million
 * strings, a 600,000-row penalty sheet.
 */
export function defaultStringBudget(): number {
  // A unit worker knows its old space (CREDIT_ETL_UNIT_HEAP_MB); elsewhere it is estimated from the heap's limit.
  const { heap_size_limit: limit } = v8.getHeapStatistics();
  const oldSpace = resourceLimits.maxOldGenerationSizeMb
    ? resourceLimits.maxOldGenerationSizeMb * MB
    : Math.max(limit - YOUNG_GENERATION, limit / 2);
  return Math.max(oldSpace / 2 - PROGRAM_HEAP, 0);
}

/**
 * The operators' remark after a table too large for the heap: `CREDIT_ETL_UNIT_HEAP_MB`, which only they can set.
 * What a provider reads (the direct-report page, the report it downloads, a review notice) is the message without
 * it (src/report/provider-message.ts).
 */
export const UNIT_HEAP_OPERATOR_NOTE = '（运维人员也可设置 CREDIT_ETL_UNIT_HEAP_MB=<MB> 提高上限后重新加载）';

/** Bytes a string costs in the table: two per character (Chinese makes a chunk two-byte), four for its offset. */
const bytesOf = (text: string) => text.length * 2 + 4;

export class SharedStrings {
  private readonly chunks: string[] = [];
  private readonly offsets: Uint32Array[] = [];
  private pending: string[] = [];
  /** What the strings kept so far cost, estimated (`bytesOf`). */
  private bytes = 0;

  constructor(private readonly budgetBytes: number = defaultStringBudget()) {}

  get size(): number {
    return this.chunks.length * CHUNK + this.pending.length;
  }

  /** The next string of the table (they arrive in index order); rich text is kept as its plain text. */
  push(value: unknown): void {
    const text = plainText(value);
    this.bytes += bytesOf(text);
    if (this.bytes > this.budgetBytes) {
      const limit = Math.round(v8.getHeapStatistics().heap_size_limit / MB);
      throw new FileFormatError(
        'workbook-too-large',
        `工作簿的共享字符串表（第${this.size + 1}个字符串时已超过 ${Math.round(this.budgetBytes / MB)} MB）过大，` +
          `无法在本进程的内存上限（${limit} MB）内读取：请把数据拆分为多个文件，或另存为 CSV 后报送${UNIT_HEAP_OPERATOR_NOTE}`,
      );
    }
    this.pending.push(text);
    if (this.pending.length < CHUNK) return;
    const offsets = new Uint32Array(CHUNK + 1);
    let at = 0;
    this.pending.forEach((text, i) => {
      offsets[i] = at;
      at += text.length;
    });
    offsets[CHUNK] = at;
    this.chunks.push(this.pending.join(''));
    this.offsets.push(offsets);
    this.pending = [];
  }

  /** The string at `index`; undefined for an index not in the table (past its end, negative, not a number). */
  get(index: number): string | undefined {
    // Past the last full chunk, an index would otherwise read the pending strings at its place in a chunk.
    if (!Number.isInteger(index) || index < 0 || index >= this.size) return undefined;
    const chunk = Math.floor(index / CHUNK);
    const text = this.chunks[chunk];
    if (text === undefined) return this.pending[index - chunk * CHUNK];
    const offsets = this.offsets[chunk] as Uint32Array;
    const at = index - chunk * CHUNK;
    return text.slice(offsets[at], offsets[at + 1]);
  }
}

function plainText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && 'richText' in value) {
    const runs = (value as { richText: { text?: string | null }[] }).richText;
    return runs.map((run) => run.text ?? '').join('');
  }
  return '';
}

/**
 * The shared strings part (`xl/sharedStrings.xml`) read into `table`, string by string as it streams. A string's
 * text is its `<t>`, or the `<t>` of its runs (`<r>`) one after another, as Excel shows the cell: not the text of a
 * phonetic guide (`<rPh>`, furigana over Japanese text, which exceljs 4.4 took for the string's), not the layout
 * between tags, and CDATA as text (exceljs dropped it). `_xHHHH_` escapes are left for `cellText` to decode.
 * Elements may carry a prefix (`x:si`), as the Open XML SDK writes them.
 */
export async function readSharedStrings(
  part: AsyncIterable<string>,
  table: SharedStrings,
  /** `CREDIT_ETL_MAX_LINE_BYTES`: one string's text, all its runs together, is held up to this. */
  maxTextBytes: number,
  partName = 'xl/sharedStrings.xml',
): Promise<void> {
  const parser = new SaxesParser({ position: false });
  let inString = false;
  let inText = false;
  let phonetic = 0;
  let text = '';
  const add = (piece: string) => {
    if (!inText) return;
    text += piece;
    // A character is at most 3 bytes of UTF-8 (a surrogate pair, two characters, 4): counted only near the limit.
    if (text.length * 3 > maxTextBytes && Buffer.byteLength(text) > maxTextBytes)
      throw stringTooLong(partName, maxTextBytes);
  };
  parser.on('opentag', (tag) => {
    const name = localName(tag.name);
    if (name === 'si') {
      inString = true;
      text = '';
    } else if (name === 'rPh') phonetic++;
    else if (name === 't' && inString && phonetic === 0 && !tag.isSelfClosing) inText = true;
  });
  parser.on('closetag', (tag) => {
    const name = localName(tag.name);
    if (name === 't') inText = false;
    else if (name === 'rPh') phonetic = Math.max(phonetic - 1, 0);
    else if (name === 'si' && inString) {
      table.push(text);
      inString = false;
      text = '';
    }
  });
  parser.on('text', add);
  parser.on('cdata', add);
  for await (const chunk of part) parser.write(chunk);
  parser.close();
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

function stringTooLong(part: string, maxBytes: number): FileFormatError {
  return new FileFormatError(
    'cell-too-long',
    `工作簿的 ${part} 中有一个字符串（一个单元格的内容）超过 ${sizeText(maxBytes)}，整个文件未入库：请找出并精简这个异常的单元格（常见原因是误粘贴了大段内容），或另存为 CSV 后报送${LINE_BYTES_OPERATOR_NOTE}`,
  );
}
