import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { SourceUnit } from '../contracts.ts';
import { crc32 } from '../zip-crc.ts';
import { unitsForFile } from './archive-units.ts';
import { type DeflatedEntry, zipBytes } from './zip-fixture.test-support.ts';

/**
 * A zip entry whose bytes are not those its CRC-32 was computed from: a byte changed on disk or in transit. The
 * audit's case: a stored entry with `2026-08-07` become `2016-08-07` loaded as a new version of its record.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'archive-crc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CSV = Buffer.from(`名称,处罚决定日期\n${'甲公司,2026-08-07\n'.repeat(2000)}`);
const DAMAGED = Buffer.from(CSV);
DAMAGED[DAMAGED.indexOf('2026') + 2] = '1'.charCodeAt(0);

function entry(name: string, method: 0 | 8, content: Buffer, crcOf: Buffer = content): DeflatedEntry {
  return {
    name: Buffer.from(name),
    utf8: true,
    packed: method === 0 ? content : deflateRawSync(content),
    crc: crc32(crcOf),
    size: content.length,
    method,
  };
}

async function content(unit: SourceUnit | undefined): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of unit?.open?.() ?? []) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('zip entries checked against their CRC-32', () => {
  it('fails a stored and a deflated entry whose bytes changed as corrupt-archive, naming it, and reads the good one', async () => {
    const file = path.join(dir, 'changed.zip');
    writeFileSync(
      file,
      zipBytes([
        entry('stored.csv', 0, DAMAGED, CSV),
        entry('deflated.csv', 8, DAMAGED, CSV),
        entry('good.csv', 8, CSV),
      ]),
    );
    const [stored, deflated, good] = await unitsForFile(file);
    for (const [unit, name] of [
      [stored, 'stored.csv'],
      [deflated, 'deflated.csv'],
    ] as const) {
      await expect(content(unit)).rejects.toMatchObject({
        code: 'corrupt-archive',
        message: expect.stringMatching(
          new RegExp(
            `^压缩包 changed\\.zip 中的「${name.replace('.', '\\.')}」已损坏：解压出的内容与压缩包记录的校验值不符（CRC-32 应为 ${crc32(CSV).toString(16).padStart(8, '0')}，实为 ${crc32(DAMAGED).toString(16).padStart(8, '0')}）`,
          ),
        ),
      });
    }
    expect(await content(good)).toBe(CSV.toString('utf8'));
  });

  it('fails at the end of the entry, in place of its end: bytes before it reached the reader, who must not keep them', async () => {
    const file = path.join(dir, 'late.zip');
    writeFileSync(file, zipBytes([entry('a.csv', 0, DAMAGED, CSV)]));
    const [unit] = await unitsForFile(file);
    let received = 0;
    const read = (async () => {
      for await (const chunk of unit?.open?.() ?? []) received += (chunk as Buffer).length;
    })();
    await expect(read).rejects.toMatchObject({ code: 'corrupt-archive' });
    // What the reader had not taken yet when the entry ended is dropped with the stream.
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThanOrEqual(CSV.length);
  });

  it('reads an empty entry, whose CRC-32 is 0', async () => {
    const file = path.join(dir, 'empty.zip');
    writeFileSync(
      file,
      zipBytes([entry('empty.csv', 0, Buffer.alloc(0)), entry('e2.csv', 8, Buffer.alloc(0))]),
    );
    expect(await Promise.all((await unitsForFile(file)).map(content))).toEqual(['', '']);
  });
});
