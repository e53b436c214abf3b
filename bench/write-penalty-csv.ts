import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import iconv from 'iconv-lite';
import {
  csvLine,
  PENALTY_HEADER,
  type PenaltyOptions,
  penaltyRows,
} from '../fixtures/generate/penalty-rows.ts';

const CHUNK_ROWS = 5000;

/** Streams a generated penalty CSV to `file` (never the whole file in memory); returns its size in bytes. */
export async function writePenaltyCsv(
  file: string,
  count: number,
  options: PenaltyOptions & { encoding: 'utf8' | 'gb18030' },
): Promise<{ bytes: number; badRows: number }> {
  const out = createWriteStream(file);
  const encode = (text: string) =>
    options.encoding === 'gb18030' ? iconv.encode(text, 'gb18030') : Buffer.from(text, 'utf8');
  let bytes = 0;
  let badRows = 0;
  const write = async (text: string) => {
    const chunk = encode(text);
    bytes += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  };
  await write(csvLine(PENALTY_HEADER));
  let parts: string[] = [];
  for (const generated of penaltyRows(count, options)) {
    if (generated.expected) badRows++;
    parts.push(csvLine(generated.row));
    if (parts.length >= CHUNK_ROWS) {
      await write(parts.join(''));
      parts = [];
    }
  }
  if (parts.length > 0) await write(parts.join(''));
  out.end();
  await finished(out);
  return { bytes, badRows };
}
