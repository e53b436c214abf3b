import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import type { SourceUnit } from '../contracts.ts';
import { DEFAULT_LIMITS } from '../limits.ts';
import { openLocated, unitsForFile } from './archive-units.ts';
import { writeZip } from './zip-fixture.test-support.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'archive-units-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function content(unit: SourceUnit): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of unit.open?.() ?? []) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('archives as units', () => {
  it('makes each zip entry a unit named archive!entry, skipping folders', async () => {
    const file = path.join(dir, 'delivery.zip');
    await writeZip(file, { '处罚.csv': 'a\n1\n', 'sub/': '', 'sub/许可.xlsx': 'x' });
    const units = await unitsForFile(file);
    expect(units.map((unit) => unit.name)).toEqual(['delivery.zip!处罚.csv', 'delivery.zip!sub/许可.xlsx']);
    expect(await content(units[0] as SourceUnit)).toBe('a\n1\n');
  });

  it('reads GBK entry names written without the UTF-8 flag', async () => {
    const file = path.join(dir, 'gbk.zip');
    await writeZip(file, { '处罚.csv': 'a\n' }, { '处罚.csv': iconv.encode('处罚.csv', 'gbk') });
    expect((await unitsForFile(file)).map((unit) => unit.name)).toEqual(['gbk.zip!处罚.csv']);
  });

  it('refuses entries that climb out of the archive, with a clear error, and keeps the others', async () => {
    const file = path.join(dir, 'evil.zip');
    await writeZip(file, {
      '../../etc/x.csv': 'a\n',
      '/abs.csv': 'a\n',
      'C:\\win.csv': 'a\n',
      'ok.csv': 'a\n',
    });
    const units = await unitsForFile(file);
    expect(units.map((unit) => unit.name)).toEqual([
      'evil.zip!../../etc/x.csv',
      'evil.zip!/abs.csv',
      'evil.zip!C:\\win.csv',
      'evil.zip!ok.csv',
    ]);
    for (const unit of units.slice(0, 3)) {
      await expect(content(unit)).rejects.toMatchObject({ code: 'unsafe-archive-entry' });
    }
    await expect(content(units[0] as SourceUnit)).rejects.toThrow('上级目录（..）或绝对路径');
    expect(await content(units[3] as SourceUnit)).toBe('a\n');
  });

  it('refuses an entry named with a control character, shown escaped so it can be recorded', async () => {
    const file = path.join(dir, 'nul-name.zip');
    await writeZip(file, { '处罚\0.csv': 'a\n', 'ok.csv': 'a\n' });
    const units = await unitsForFile(file);
    expect(units.map((unit) => unit.name)).toEqual(['nul-name.zip!处罚\\u0000.csv', 'nul-name.zip!ok.csv']);
    await expect(content(units[0] as SourceUnit)).rejects.toMatchObject({ code: 'unsafe-archive-entry' });
    await expect(content(units[0] as SourceUnit)).rejects.toThrow('含有控制字符');
    expect(await content(units[1] as SourceUnit)).toBe('a\n');
  });

  it('unpacks a .gz into one unit named after its content', async () => {
    const file = path.join(dir, '处罚.csv.gz');
    writeFileSync(file, gzipSync('a\n1\n'));
    const [unit] = await unitsForFile(file);
    expect(unit?.name).toBe('处罚.csv.gz!处罚.csv');
    expect(await content(unit as SourceUnit)).toBe('a\n1\n');
  });

  it('fails a corrupt archive as a file error', async () => {
    const gz = path.join(dir, 'broken.csv.gz');
    writeFileSync(gz, 'not gzip');
    const [unit] = await unitsForFile(gz);
    await expect(content(unit as SourceUnit)).rejects.toMatchObject({ code: 'corrupt-archive' });
    const zip = path.join(dir, 'broken.zip');
    writeFileSync(zip, 'not zip');
    await expect(unitsForFile(zip)).rejects.toMatchObject({ code: 'corrupt-archive' });
  });

  it('gives every readable unit a locator that reopens the same bytes, and none to a refused entry', async () => {
    const zip = path.join(dir, 'located.zip');
    await writeZip(zip, { '../x.csv': 'a\n', 'ok.csv': 'a\n2\n' });
    const gz = path.join(dir, 'located.csv.gz');
    writeFileSync(gz, gzipSync('a\n3\n'));
    const plain = path.join(dir, 'located.csv');
    writeFileSync(plain, 'a\n4\n');
    const units = [...(await unitsForFile(zip)), ...(await unitsForFile(gz)), ...(await unitsForFile(plain))];
    expect(units.map((unit) => unit.locator?.kind)).toEqual([undefined, 'zip-entry', 'gzip', 'file']);
    for (const unit of units.slice(1)) {
      const reopened = { ...unit, open: () => openLocated(unit.locator!, DEFAULT_LIMITS) };
      expect(await content(reopened)).toBe(await content(unit));
    }
  });
});

describe('archive limits', () => {
  const MiB = 1024 * 1024;

  it('stops a zip entry and a .gz that expand too far for their size, naming the entry and the limit', async () => {
    const repetitive = Buffer.alloc(4 * MiB, 'a');
    const zip = path.join(dir, 'ratio.zip');
    await writeZip(zip, { '处罚.csv': repetitive });
    const gz = path.join(dir, 'ratio.csv.gz');
    writeFileSync(gz, gzipSync(repetitive));
    const [entry] = await unitsForFile(zip);
    await expect(content(entry as SourceUnit)).rejects.toMatchObject({
      code: 'decompression-limit',
      message: expect.stringContaining('压缩包 ratio.zip 中的「处罚.csv」的压缩比超过 200 倍'),
    });
    const [content_] = await unitsForFile(gz);
    await expect(content(content_ as SourceUnit)).rejects.toMatchObject({
      code: 'decompression-limit',
      message: expect.stringContaining('CREDIT_ETL_MAX_EXPANSION_RATIO'),
    });
  });

  it('lets an entry of an ordinary ratio through, up to the expanded-bytes cap', async () => {
    const text = Buffer.from(
      Array.from({ length: 40_000 }, (_, i) => `${i},${(i * 7919) % 100_003},许可${i % 97}\n`).join(''),
    );
    const zip = path.join(dir, 'ordinary.zip');
    await writeZip(zip, { 'ok.csv': text });
    const [unit] = await unitsForFile(zip);
    expect((await content(unit as SourceUnit)).length).toBe(text.toString().length);
    const [capped] = await unitsForFile(zip, undefined, { ...DEFAULT_LIMITS, maxExpandedBytes: 64 * 1024 });
    await expect(content(capped as SourceUnit)).rejects.toMatchObject({
      code: 'decompression-limit',
      message: expect.stringContaining('解压后超过 64 KB'),
    });
  });
});
