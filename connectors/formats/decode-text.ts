import type { Readable } from 'node:stream';
import type { Encoding } from '../contracts.ts';

export type ConcreteEncoding = Exclude<Encoding, 'auto'>;
const DECODER_LABEL: Record<ConcreteEncoding, string> = {
  utf8: 'utf-8',
  gb18030: 'gb18030',
  utf16le: 'utf-16le',
  utf16be: 'utf-16be',
};
const SNIFF_BYTES = 64 * 1024;

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
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf8';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf16be';
  // Real GBK text read as UTF-8 is mostly invalid sequences; real UTF-8 with a damaged byte here and there
  // is still overwhelmingly valid multi-byte characters: decide on the ratio, not on the first bad byte.
  // `stream: true` keeps a character cut in half at the end of the sample from counting as bad.
  const sample = new TextDecoder('utf-8').decode(head, { stream: true });
  let bad = 0;
  let nonAscii = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c === 0xfffd) bad++;
    else if (c > 0x7f) nonAscii++;
  }
  return bad === 0 || nonAscii >= 10 * bad ? 'utf8' : 'gb18030';
}

/** The replacement character a decoder puts where bytes could not be decoded. */
export const UNDECODABLE = '\uFFFD';

function byteOrderMarkLength(head: Buffer, encoding: ConcreteEncoding): number {
  if (encoding === 'utf8') return head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
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
