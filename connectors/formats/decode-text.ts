import type { Readable } from 'node:stream';
import { type Encoding, FileFormatError } from '../contracts.ts';

type ConcreteEncoding = Exclude<Encoding, 'auto'>;
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
 * Decodes strictly: an undecodable byte is a FileFormatError naming its offset, never a silent U+FFFD.
 * `auto`: a BOM decides; else valid UTF-8 in the first 64 KiB means UTF-8; else GB18030 (which also reads GBK).
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
    const decoder = new TextDecoder(DECODER_LABEL[encoding], { fatal: true, ignoreBOM: true });
    let offset = 0;
    const decode = (bytes: Buffer, stream: boolean) => {
      try {
        return decoder.decode(bytes, { stream });
      } catch {
        throw new FileFormatError(
          'undecodable-bytes',
          `文件第${offset + 1}字节附近的内容无法按 ${encoding} 编码解码，请确认文件编码（UTF-8 或 GB18030/GBK）后重新导出，或用 --encoding 指定编码`,
        );
      }
    };
    try {
      yield decode(head.subarray(bomLength), true);
      offset += head.length;
      if (!ended) {
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
          yield decode(next.value, true);
          offset += next.value.length;
        }
      }
      yield decode(Buffer.alloc(0), false);
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
  try {
    // `stream: true` tolerates a character cut in half at the end of the sample.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return 'utf8';
  } catch {
    return 'gb18030';
  }
}

function byteOrderMarkLength(head: Buffer, encoding: ConcreteEncoding): number {
  if (encoding === 'utf8') return head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  if (encoding === 'utf16le') return head[0] === 0xff && head[1] === 0xfe ? 2 : 0;
  if (encoding === 'utf16be') return head[0] === 0xfe && head[1] === 0xff ? 2 : 0;
  return 0;
}
