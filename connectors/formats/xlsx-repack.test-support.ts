import yauzl from 'yauzl';
import { type DeflatedEntry, zipBytes } from '../transports/zip-fixture.test-support.ts';
import { crc32 } from '../zip-crc.ts';

/** Changes to a workbook's parts, by part name: the text the part is to hold instead, or undefined to keep it. */
type PartChange = (part: string, text: string) => string | undefined;

/**
 * A workbook (as exceljs wrote it) packed again, every part stored (method 0) so that a test can change its bytes:
 * `edit` as a writer would (the CRC-32 stands for the new text), `damage` after the CRC-32 was taken (a byte
 * changed on disk or in transit).
 */
export async function repackWorkbook(
  bytes: Buffer,
  changes: { edit?: PartChange; damage?: PartChange },
): Promise<Buffer> {
  const zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true });
  const entries: DeflatedEntry[] = [];
  for await (const entry of zip.eachEntry()) {
    const chunks: Buffer[] = [];
    for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
    const original = Buffer.concat(chunks).toString('utf8');
    const text = changes.edit?.(entry.fileName, original) ?? original;
    const damaged = changes.damage?.(entry.fileName, text) ?? text;
    const packed = Buffer.from(damaged);
    entries.push({
      name: Buffer.from(entry.fileName),
      utf8: true,
      packed,
      crc: crc32(Buffer.from(text)),
      size: packed.length,
      method: 0,
    });
  }
  zip.close();
  return zipBytes(entries);
}
