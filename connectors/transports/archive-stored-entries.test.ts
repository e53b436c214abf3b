import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SourceUnit } from '../contracts.ts';
import { DEFAULT_LIMITS, type Limits } from '../limits.ts';
import { unitsForFile } from './archive-units.ts';
import { writeZip } from './zip-fixture.test-support.ts';

/**
 * Entries stored uncompressed (method 0): `zip -0` writes them, and some Windows tools store small files so. They
 * were refused by yauzl ("options.decompress can only be specified for compressed entries") and failed as
 * internal errors.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'archive-stored-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CSV = '名称,代码\n甲,1\n乙,2\n';

async function content(unit: SourceUnit | undefined): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of unit?.open?.() ?? []) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function entries(file: string, limits: Limits = DEFAULT_LIMITS): Promise<Record<string, string>> {
  const read: Record<string, string> = {};
  for (const unit of await unitsForFile(file, undefined, limits)) read[unit.name] = await content(unit);
  return read;
}

const hasZipTool = (() => {
  try {
    execFileSync('zip', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('zip entries stored uncompressed', () => {
  it('reads a stored entry beside a deflated one', async () => {
    const file = path.join(dir, 'mixed.zip');
    await writeZip(file, { 'stored.csv': CSV, 'deflated.csv': CSV }, {}, ['stored.csv']);
    expect(await entries(file)).toEqual({ 'mixed.zip!stored.csv': CSV, 'mixed.zip!deflated.csv': CSV });
  });

  it.skipIf(!hasZipTool)('reads every entry of an archive made by `zip -0`', async () => {
    const folder = mkdtempSync(path.join(dir, 'zip0-'));
    writeFileSync(path.join(folder, 'a.csv'), CSV);
    writeFileSync(path.join(folder, '处罚.csv'), CSV.repeat(50));
    const file = path.join(dir, 'zip0.zip');
    execFileSync('zip', ['-0', '-q', file, 'a.csv', '处罚.csv'], { cwd: folder });
    // Method 0 in the first local header: the archive really is stored.
    expect(readFileSync(file).readUInt16LE(8)).toBe(0);
    expect(await entries(file)).toEqual({ 'zip0.zip!a.csv': CSV, 'zip0.zip!处罚.csv': CSV.repeat(50) });
  });

  it('stops a stored entry past CREDIT_ETL_MAX_EXPANDED_BYTES while it streams, as a deflated one', async () => {
    const file = path.join(dir, 'big-stored.zip');
    const big = `名称,代码\n${'甲,1\n'.repeat(200_000)}`;
    await writeZip(file, { 'big.csv': big, 'small.csv': CSV }, {}, ['big.csv', 'small.csv']);
    const limits = { ...DEFAULT_LIMITS, maxExpandedBytes: 64 * 1024 };
    const [bigUnit, smallUnit] = await unitsForFile(file, undefined, limits);
    await expect(content(bigUnit)).rejects.toMatchObject({
      code: 'decompression-limit',
      message: expect.stringContaining('压缩包 big-stored.zip 中的「big.csv」解压后超过 64 KB'),
    });
    expect(await content(smallUnit)).toBe(CSV);
  });
});

describe('a zip whose directory breaks after its end record was found', () => {
  it('is refused as corrupt-archive, a file error, not an engine failure', async () => {
    const file = path.join(dir, 'broken-directory.zip');
    await writeZip(file, { 'a.csv': CSV, 'b.csv': CSV });
    const bytes = readFileSync(file);
    const directory = bytes.readUInt32LE(bytes.length - 22 + 16);
    // The second directory record's signature: after the first record (46 bytes and its 5-byte name).
    bytes.writeUInt32LE(0, directory + 46 + 'a.csv'.length);
    writeFileSync(file, bytes);
    await expect(unitsForFile(file)).rejects.toMatchObject({
      code: 'corrupt-archive',
      message: expect.stringContaining('broken-directory.zip 的文件目录已损坏'),
    });
  });
});

describe('an entry compressed by a method other than stored or deflated', () => {
  it('is refused by name as unsupported-format, in Chinese, while the other entries read', async () => {
    const file = path.join(dir, 'bzip2.zip');
    await writeZip(file, { 'bzip2.csv': CSV, 'plain.csv': CSV });
    const bytes = readFileSync(file);
    // Method 12 (bzip2) in the first entry's local header and in its central directory record.
    const central = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bytes.writeUInt16LE(12, 8);
    bytes.writeUInt16LE(12, central + 10);
    writeFileSync(file, bytes);
    const [bzip2, plain] = await unitsForFile(file);
    await expect(content(bzip2)).rejects.toMatchObject({
      code: 'unsupported-format',
      message: expect.stringMatching(/「bzip2\.csv」使用了不支持的压缩方式（编号 12/),
    });
    expect(await content(plain)).toBe(CSV);
  });
});
