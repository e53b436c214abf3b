import type { Readable } from 'node:stream';
import { type Encoding, FileFormatError } from '../contracts.ts';

export type ConcreteEncoding = Exclude<Encoding, 'auto'>;
const DECODER_LABEL: Record<ConcreteEncoding, string> = {
  utf8: 'utf-8',
  gb18030: 'gb18030',
  utf16le: 'utf-16le',
  utf16be: 'utf-16be',
};
/** How much of a file's start is read before its encoding (and a CSV file's delimiter) is decided. */
export const SNIFF_BYTES = 64 * 1024;

/** Whether the bytes start with the UTF-8 byte order mark EF BB BF. */
export function hasUtf8Bom(bytes: Uint8Array): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/** Decoded text of a byte stream, in chunks, with the encoding that was used. */
export interface DecodedText {
  encoding: ConcreteEncoding;
  chunks: AsyncIterable<string>;
}

/**
 * Decodes the bytes; an undecodable byte becomes U+FFFD, which the format turns into a rejection of the
 * row holding it (`undecodable-bytes`), so one bad byte costs one row, not the file, and is never loaded.
 * `auto`: a BOM decides; else the first 64 KiB decide between UTF-8 and GB18030 (which also reads GBK).
 */
export async function decodeText(input: Readable, requested: Encoding): Promise<DecodedText> {
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  let ended = false;
  while (head.length < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    head = Buffer.concat([head, next.value]);
  }
  const binary = binaryFileKind(head);
  if (binary) {
    // The rest of the input is never read: let it go (a file's descriptor with it).
    await iterator.return?.();
    throw new FileFormatError(
      'unsupported-format',
      `文件内容是${binary}，不是 CSV 文本（多为改了扩展名的文件）：请按实际类型命名（如 .xlsx、.zip），或在 Excel / WPS 中另存为 CSV（UTF-8）后报送`,
    );
  }
  const encoding = requested === 'auto' ? detectEncoding(head) : requested;
  const bomLength = byteOrderMarkLength(head, encoding);
  async function* chunks(): AsyncGenerator<string> {
    const decoder = new TextDecoder(DECODER_LABEL[encoding], { fatal: false, ignoreBOM: true });
    try {
      yield decoder.decode(head.subarray(bomLength), { stream: true });
      if (!ended) {
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
          yield decoder.decode(next.value, { stream: true });
        }
      }
      yield decoder.decode();
    } finally {
      await iterator.return?.();
    }
  }
  return { encoding, chunks: chunks() };
}

export function detectEncoding(head: Buffer): ConcreteEncoding {
  if (hasUtf8Bom(head)) return 'utf8';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf16be';
  const utf16 = utf16WithoutBom(head);
  if (utf16) return utf16;
  // Real GBK text read as UTF-8 is mostly invalid sequences; real UTF-8 with a damaged byte here and there
  // is still overwhelmingly valid multi-byte characters: decide on the ratio, not on the first bad byte.
  // `stream: true` keeps a character cut in half at the end of the sample from counting as bad.
  const sample = new TextDecoder('utf-8').decode(head, { stream: true });
  // A header in Chinese that is whole UTF-8 decides, whatever a few rows pasted in from a GBK file do to the ratio
  // (those rows are then rejected as undecodable, each alone): GBK text is never valid UTF-8 for long.
  if (isUtf8ChineseHeader(sample)) return 'utf8';
  let bad = 0;
  let nonAscii = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c === 0xfffd) bad++;
    else if (c > 0x7f) nonAscii++;
  }
  return bad === 0 || nonAscii >= 10 * bad ? 'utf8' : 'gb18030';
}

/**
 * Chinese characters a header line needs before its being valid UTF-8 decides the encoding. Only CJK ideographs
 * count: a GBK character whose bytes are C2–DF then A1–BF (住址, 状态, 职业…) is also a valid two-byte UTF-8
 * character, U+0080–U+07FF (Hebrew, Cyrillic, Arabic…), so a short GBK header can be whole UTF-8 by accident,
 * but its bytes hardly ever make an ideograph.
 */
const HEADER_IDEOGRAPHS = 2;

function isUtf8ChineseHeader(sample: string): boolean {
  const end = sample.search(/[\r\n]/);
  if (end < 0) return false; // the sample may have cut the header short: the ratio decides
  let ideographs = 0;
  for (let i = 0; i < end; i++) {
    const c = sample.codePointAt(i) as number;
    if (c === 0xfffd) return false;
    if (isCjkIdeograph(c)) ideographs++;
    if (c > 0xffff) i++;
  }
  return ideographs >= HEADER_IDEOGRAPHS;
}

/** CJK Unified Ideographs with extension A, the compatibility ideographs, and extensions B–H (planes 2 and 3). */
function isCjkIdeograph(c: number): boolean {
  return (c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0x20000 && c <= 0x323af);
}

/** How much of the start the UTF-16 test reads, and how many of its code units must hold a zero byte. */
const UTF16_SAMPLE_BYTES = 4096;
const UTF16_MIN_ZERO_SHARE = 0.05;

/**
 * UTF-16 saved without a byte order mark (some exports of 'Unicode text' do): ASCII characters — delimiters,
 * digits, line breaks — then have a zero high byte, at odd offsets in little-endian and even in big-endian, while
 * UTF-8 and GB18030 text holds no zero byte at all. Zeros often enough, nearly all on one side, decide.
 */
function utf16WithoutBom(head: Buffer): 'utf16le' | 'utf16be' | undefined {
  const length = Math.min(head.length, UTF16_SAMPLE_BYTES) & ~1;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < length; i += 2) {
    if (head[i] === 0) even++;
    if (head[i + 1] === 0) odd++;
  }
  const enough = Math.max(4, (length / 2) * UTF16_MIN_ZERO_SHARE);
  // The other side holds a zero too where a character's low byte is one (一 is U+4E00): rarely.
  if (odd >= enough && even * 8 <= odd) return 'utf16le';
  if (even >= enough && odd * 8 <= even) return 'utf16be';
  return undefined;
}

/** Files that are not text at all, by their first bytes: what they are, for the provider. */
const BINARY_SIGNATURES: { bytes: number[]; kind: string }[] = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], kind: ' .xlsx 工作簿或 zip 压缩包' },
  {
    bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
    kind: ' Excel 97-2003（.xls）或 WPS（.et）文件',
  },
  { bytes: [0x1f, 0x8b], kind: ' gzip 压缩文件' },
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], kind: ' PDF 文件' },
];

function binaryFileKind(head: Buffer): string | undefined {
  return BINARY_SIGNATURES.find(({ bytes }) => bytes.every((byte, i) => head[i] === byte))?.kind;
}

/** The replacement character a decoder puts where bytes could not be decoded. */
export const UNDECODABLE = '\uFFFD';

function byteOrderMarkLength(head: Buffer, encoding: ConcreteEncoding): number {
  if (encoding === 'utf8') return hasUtf8Bom(head) ? 3 : 0;
  if (encoding === 'utf16le') return head[0] === 0xff && head[1] === 0xfe ? 2 : 0;
  if (encoding === 'utf16be') return head[0] === 0xfe && head[1] === 0xff ? 2 : 0;
  return 0;
}

/**
 * Decodes bytes that start in the middle of a file, at a record boundary (a chunk, csv-chunks.ts): no byte order
 * mark is looked for or taken off there (bytes EF BB BF at the start of a record are a character of that record).
 */
export async function* decodeFrom(
  input: AsyncIterable<Buffer>,
  encoding: ConcreteEncoding,
): AsyncGenerator<string> {
  const decoder = new TextDecoder(DECODER_LABEL[encoding], { fatal: false, ignoreBOM: true });
  for await (const chunk of input) {
    const text = decoder.decode(chunk, { stream: true });
    if (text) yield text;
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}
