import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { SourceUnit, UnitLocator } from '../contracts.ts';
import { DEFAULT_LIMITS, LimitsError, readLimits } from '../limits.ts';
import { openLocated, unitsForFile } from './archive-units.ts';
import { writeZip } from './zip-fixture.test-support.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'archive-units-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type ZipLocator = UnitLocator & { kind: 'zip-entry' };

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

  it('fails a zip with no file to read as one unit named after it, saying what it held instead', async () => {
    const empty = path.join(dir, 'empty.zip');
    await writeZip(empty, {});
    expect(statSync(empty).size).toBe(22); // the end record alone
    const folders = path.join(dir, 'folders-only.zip');
    await writeZip(folders, { 'sub/': '', 'sub/deeper/': '', '__MACOSX/._x.csv': 'x', '.DS_Store': 'x' });
    const [none] = await unitsForFile(empty);
    expect(none?.name).toBe('empty.zip');
    await expect(none?.rows?.()).rejects.toMatchObject({
      code: 'empty-archive',
      message:
        '压缩包 empty.zip 中没有可读取的数据文件：压缩包是空的，未入库任何数据；请把数据文件（CSV、XLSX）放入压缩包后重新报送',
    });
    const units = await unitsForFile(folders);
    expect(units.map((unit) => unit.name)).toEqual(['folders-only.zip']);
    await expect(units[0]?.rows?.()).rejects.toMatchObject({
      code: 'empty-archive',
      message: expect.stringContaining(
        '压缩包 folders-only.zip 中没有可读取的数据文件：其中只有 2 个文件夹、1 个隐藏文件（名称以“.”开头，如 .DS_Store）、1 个 macOS 附加文件（__MACOSX/），这些不作为数据读取，未入库任何数据',
      ),
    });
  });

  it('passes over hidden entries as a drop folder passes over hidden files', async () => {
    const file = path.join(dir, 'hidden.zip');
    await writeZip(file, { '.hidden.csv': 'a\n1\n', 'sub/.x.csv': 'a\n', 'ok.csv': 'a\n2\n' });
    expect((await unitsForFile(file)).map((unit) => unit.name)).toEqual(['hidden.zip!ok.csv']);
  });

  it('refuses an archive inside a zip by name, and keeps the other entries', async () => {
    const file = path.join(dir, 'nested.zip');
    await writeZip(file, { 'inner.zip': 'PK', 'x.csv.gz': 'x', 'ok.csv': 'a\n' });
    const units = await unitsForFile(file);
    expect(units.map((unit) => unit.name)).toEqual([
      'nested.zip!inner.zip',
      'nested.zip!x.csv.gz',
      'nested.zip!ok.csv',
    ]);
    await expect(content(units[0] as SourceUnit)).rejects.toMatchObject({
      code: 'nested-archive',
      message: expect.stringContaining(
        '压缩包 nested.zip 中的「inner.zip」本身又是压缩包：压缩包内不接受再嵌套压缩包',
      ),
    });
    await expect(content(units[1] as SourceUnit)).rejects.toMatchObject({ code: 'nested-archive' });
    expect(units[0]?.locator).toBeUndefined();
    expect(await content(units[2] as SourceUnit)).toBe('a\n');
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

describe('opening one entry of a zip from its locator', () => {
  /** 200 CSVs after a folder and a macOS fork, so that an entry's unit, index and record all differ. */
  async function manyEntries(name: string): Promise<{ file: string; locators: ZipLocator[] }> {
    const file = path.join(dir, name);
    const entries: Record<string, string> = { 'sub/': '', '__MACOSX/._0.csv': 'x' };
    for (let i = 0; i < 200; i++) entries[`sub/${i}.csv`] = `a\n${i}\n`;
    await writeZip(file, entries);
    const locators = (await unitsForFile(file)).map((unit) => unit.locator as ZipLocator);
    return { file, locators };
  }

  async function read(locator: UnitLocator): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of openLocated(locator, DEFAULT_LIMITS)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  const notFound = (archive: string, entry: string) => ({
    code: 'corrupt-archive',
    message: `压缩包 ${archive} 中找不到「${entry}」`,
  });

  it('reads the entries at the start, middle and end, from locators passed as JSON', async () => {
    const { locators } = await manyEntries('many.zip');
    for (const k of [0, 1, 100, 198, 199]) {
      const locator = JSON.parse(JSON.stringify(locators[k])) as UnitLocator;
      expect(locator).toMatchObject({ kind: 'zip-entry', index: k + 2, entry: `sub/${k}.csv` });
      expect(await read(locator)).toBe(`a\n${k}\n`);
    }
  });

  it("reads only the entry's own directory record, not the records before it", async () => {
    const { file, locators } = await manyEntries('first-record-broken.zip');
    const [first, , middle] = locators as [ZipLocator, ZipLocator, ZipLocator];
    // The first file's record is spoiled after listing: entries after it still open, it is refused.
    const bytes = readFileSync(file);
    bytes.writeUInt32LE(0, first.record);
    writeFileSync(file, bytes);
    expect(await read(middle)).toBe('a\n2\n');
    expect(await read(locators[199] as ZipLocator)).toBe('a\n199\n');
    await expect(read(first)).rejects.toMatchObject(notFound('first-record-broken.zip', 'sub/0.csv'));
  });

  it('refuses a locator whose record does not name its entry, or points at no record', async () => {
    const { file, locators } = await manyEntries('mismatch.zip');
    const [first, second] = locators as [ZipLocator, ZipLocator];
    const refused = notFound('mismatch.zip', 'sub/1.csv');
    await expect(read({ ...second, entry: 'sub/x.csv' })).rejects.toMatchObject(
      notFound('mismatch.zip', 'sub/x.csv'),
    );
    // The right index and name, another entry's record: the record decides, and it names another file.
    await expect(read({ ...second, record: first.record })).rejects.toMatchObject(refused);
    const size = statSync(file).size;
    for (const record of [0, second.record + 1, second.record - 1, size - 22, size, -1, 2 ** 40]) {
      await expect(read({ ...second, record })).rejects.toMatchObject(refused);
    }
  });

  it('refuses an entry whose name at its record changed since the zip was listed', async () => {
    const file = path.join(dir, 'replaced.zip');
    await writeZip(file, { 'a.csv': 'a\n1\n', 'b.csv': 'a\n2\n' });
    const [, b] = (await unitsForFile(file)).map((unit) => unit.locator as ZipLocator);
    // The same layout byte for byte but for the name: the record is where it was.
    await writeZip(file, { 'a.csv': 'a\n1\n', 'c.csv': 'a\n2\n' });
    await expect(read(b as ZipLocator)).rejects.toMatchObject(notFound('replaced.zip', 'b.csv'));
  });

  it('still refuses an entry its record now marks encrypted or compressed by a method it cannot read', async () => {
    const { file, locators } = await manyEntries('flags.zip');
    const [encrypted, bzip2] = locators as [ZipLocator, ZipLocator];
    const bytes = readFileSync(file);
    bytes.writeUInt16LE(bytes.readUInt16LE(encrypted.record + 8) | 1, encrypted.record + 8);
    bytes.writeUInt16LE(12, bzip2.record + 10);
    writeFileSync(file, bytes);
    await expect(read(encrypted)).rejects.toThrow();
    await expect(read(bzip2)).rejects.toMatchObject({ code: 'corrupt-archive' });
    expect(await read(locators[2] as ZipLocator)).toBe('a\n2\n');
  });

  it('refuses a zip-entry locator without a record offset with a clear error', async () => {
    const { locators } = await manyEntries('no-record.zip');
    const { record: _record, ...withoutRecord } = locators[0] as ZipLocator;
    await expect(read(withoutRecord as unknown as UnitLocator)).rejects.toThrow(
      'zip-entry locator of no-record.zip!sub/0.csv has no record offset',
    );
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

describe('the number of files one zip may hold', () => {
  afterEach(() => vi.unstubAllEnvs());

  /** `count` small CSVs, with a folder and a macOS resource fork that do not count. */
  async function zipOf(name: string, count: number): Promise<string> {
    const file = path.join(dir, name);
    const entries: Record<string, string> = { 'sub/': '', '__MACOSX/._0.csv': 'x' };
    for (let i = 0; i < count; i++) entries[`sub/${i}.csv`] = `a\n${i}\n`;
    await writeZip(file, entries);
    return file;
  }

  it('refuses a zip of one file over the limit as a whole, one unit naming the archive, the count and the limit', async () => {
    const file = await zipOf('many.zip', 4);
    const units = await unitsForFile(file, undefined, { ...DEFAULT_LIMITS, maxArchiveEntries: 3 });
    expect(units.map((unit) => unit.name)).toEqual(['many.zip']);
    const [unit] = units as [SourceUnit];
    // Nothing of it can be read: no bytes, no locator for a worker to reopen an entry by.
    expect(unit.locator).toBeUndefined();
    expect(unit.open).toBeUndefined();
    await expect(unit.rows?.()).rejects.toMatchObject({
      code: 'decompression-limit',
      message: expect.stringContaining(
        '压缩包 many.zip 中的文件超过 3 个（压缩包目录共列出 6 项；单个压缩包最多 3 个文件，文件夹不计），整个压缩包已拒收',
      ),
    });
  });

  it('reads a zip of exactly the limit, folders and macOS forks not counted', async () => {
    const file = await zipOf('enough.zip', 3);
    const units = await unitsForFile(file, undefined, { ...DEFAULT_LIMITS, maxArchiveEntries: 3 });
    expect(units.map((unit) => unit.name)).toEqual([
      'enough.zip!sub/0.csv',
      'enough.zip!sub/1.csv',
      'enough.zip!sub/2.csv',
    ]);
    expect(await content(units[2] as SourceUnit)).toBe('a\n2\n');
  });

  it('counts refused entries too: each would still be a unit', async () => {
    const file = path.join(dir, 'unsafe-many.zip');
    await writeZip(file, { '../a.csv': 'a\n', '../b.csv': 'a\n', 'ok.csv': 'a\n' });
    const limits = { ...DEFAULT_LIMITS, maxArchiveEntries: 2 };
    expect((await unitsForFile(file, undefined, limits)).map((unit) => unit.name)).toEqual([
      'unsafe-many.zip',
    ]);
  });

  it('bounds folders and macOS forks too, at four directory records per file allowed, before listing any', async () => {
    const limits = { ...DEFAULT_LIMITS, maxArchiveEntries: 2 };
    const folders = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`d${i}/`, '']));
    const within = path.join(dir, 'folders-8.zip');
    await writeZip(within, { ...folders(5), '__MACOSX/._a.csv': 'x', 'a.csv': 'a\n', 'b.csv': 'a\n' });
    expect((await unitsForFile(within, undefined, limits)).map((unit) => unit.name)).toEqual([
      'folders-8.zip!a.csv',
      'folders-8.zip!b.csv',
    ]);
    const over = path.join(dir, 'folders-9.zip');
    await writeZip(over, { ...folders(6), '__MACOSX/._a.csv': 'x', 'a.csv': 'a\n', 'b.csv': 'a\n' });
    const units = await unitsForFile(over, undefined, limits);
    expect(units.map((unit) => unit.name)).toEqual(['folders-9.zip']);
    await expect(units[0]?.rows?.()).rejects.toMatchObject({
      code: 'decompression-limit',
      message: expect.stringContaining(
        '压缩包 folders-9.zip 的目录共列出 9 项（文件和文件夹），超过 8 项（单个压缩包最多 2 个文件，连同文件夹不超过 8 项），整个压缩包已拒收',
      ),
    });
  });

  it('takes the limit from CREDIT_ETL_MAX_ARCHIVE_ENTRIES (default 1000), a positive whole number', async () => {
    expect(readLimits({}).maxArchiveEntries).toBe(1000);
    const file = await zipOf('env.zip', 3);
    vi.stubEnv('CREDIT_ETL_MAX_ARCHIVE_ENTRIES', '2');
    expect((await unitsForFile(file)).map((unit) => unit.name)).toEqual(['env.zip']);
    vi.stubEnv('CREDIT_ETL_MAX_ARCHIVE_ENTRIES', '3');
    expect(await unitsForFile(file)).toHaveLength(3);
    for (const bad of ['0', '-5', '2.5', 'many']) {
      expect(() => readLimits({ CREDIT_ETL_MAX_ARCHIVE_ENTRIES: bad })).toThrow(
        new LimitsError(`CREDIT_ETL_MAX_ARCHIVE_ENTRIES=${bad} is not a positive whole number`),
      );
    }
  });

  it('refuses a unit heap cap below 64 MB, which would pass the worker start and then fail every file', () => {
    expect(readLimits({ CREDIT_ETL_UNIT_HEAP_MB: '64' }).unitHeapMb).toBe(64);
    expect(() => readLimits({ CREDIT_ETL_UNIT_HEAP_MB: '18' })).toThrow(
      new LimitsError('CREDIT_ETL_UNIT_HEAP_MB=18 is below 64, the least a unit can work with'),
    );
  });
});
