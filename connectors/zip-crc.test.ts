import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { crc32, crcCheck, tableCrc32 } from './zip-crc.ts';

/** `zlib.crc32` came with Node 20.15 and 22.2: before, the table stands in for it. */
const hasZlibCrc = typeof (zlib as { crc32?: unknown }).crc32 === 'function';

const hex = (crc: number) => crc.toString(16).padStart(8, '0');

async function through(chunks: Buffer[], expected: number): Promise<Buffer> {
  const out: Buffer[] = [];
  const check = crcCheck(expected, (found, recorded) => new Error(`${found}≠${recorded}`));
  await pipeline(Readable.from(chunks), check, async (source) => {
    for await (const chunk of source) out.push(chunk as Buffer);
  });
  return Buffer.concat(out);
}

describe('the CRC-32 of a zip entry', () => {
  it('is the zip CRC-32, whole or continued chunk by chunk, by zlib where Node has it and by the table', () => {
    expect(crc32).toBe(hasZlibCrc ? zlib.crc32 : tableCrc32);
    for (const crc of [crc32, tableCrc32]) {
      expect(crc(Buffer.from('123456789'))).toBe(0xcbf43926);
      expect(crc(Buffer.alloc(0))).toBe(0);
      const data = randomBytes(100_003);
      let continued = 0;
      for (let at = 0; at < data.length; at += 7_919)
        continued = crc(data.subarray(at, at + 7_919), continued);
      expect(continued).toBe(tableCrc32(data));
      if (hasZlibCrc) expect(crc(data)).toBe(zlib.crc32(data));
    }
  });

  it('falls back to the table on a Node without zlib.crc32', async () => {
    const zlibModule = zlib as { crc32?: unknown };
    const own = zlibModule.crc32;
    delete zlibModule.crc32;
    try {
      vi.resetModules();
      const fresh = await import('./zip-crc.ts');
      expect(fresh.crc32).toBe(fresh.tableCrc32);
    } finally {
      if (own) zlibModule.crc32 = own;
      vi.resetModules();
    }
  });

  it('passes the bytes through unchanged when they match, and fails at their end when one byte changed', async () => {
    const data = Buffer.from('名称,决定日期\n甲,2026-08-07\n'.repeat(5000));
    const chunks = [data.subarray(0, 1000), data.subarray(1000, 70_000), data.subarray(70_000)];
    expect((await through(chunks, crc32(data))).equals(data)).toBe(true);
    const damaged = Buffer.from(data);
    damaged[damaged.indexOf('2026') + 2] = 0x31;
    await expect(through([damaged], crc32(data))).rejects.toThrow(
      `${hex(crc32(damaged))}≠${hex(crc32(data))}`,
    );
  });
});
