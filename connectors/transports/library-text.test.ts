import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { SourceUnit } from '../contracts.ts';
import { expectNoLibraryText } from '../library-text.test-support.ts';
import { crc32 } from '../zip-crc.ts';
import { unitsForFile } from './archive-units.ts';
import { LocalDropPort } from './file-drop/local-drop-port.ts';
import { zipBytes } from './zip-fixture.test-support.ts';

/**
 * A zip or gzip that yauzl or zlib cannot read fails as `corrupt-archive` with a message in the provider's words —
 * which archive, which file in it, what is wrong — never the library's English (`invalid code lengths set`,
 * `incorrect header check`, `End of central directory record signature not found`).
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'archive-library-text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CSV = Buffer.from('名称,金额\n甲公司,1\n'.repeat(200));

/** Lists the file and reads every unit: the corrupt-archive error it fails with, free of library text. */
async function failure(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  const error = await (async () => {
    for (const unit of await unitsForFile(file)) {
      for await (const _chunk of (unit as SourceUnit).open?.() ?? []);
    }
  })().then(
    () => undefined,
    (caught: Error & { code?: string }) => caught,
  );
  expect(error).toMatchObject({ code: 'corrupt-archive' });
  expectNoLibraryText(error?.message);
  return error?.message ?? '';
}

const entry = (packed: Buffer, size = CSV.length, method: 0 | 8 = 8) => ({
  name: Buffer.from('处罚.csv'),
  utf8: true,
  packed,
  crc: crc32(CSV),
  size,
  method,
});

describe('a .zip that is none, or is cut short', () => {
  it.each([
    [
      'text.zip',
      Buffer.from('名称,金额\n甲公司,1\n'),
      '文件内容不是 zip 格式（可能是其他格式的压缩包，或改了扩展名的文件）',
    ],
    [
      'rar.zip',
      Buffer.concat([Buffer.from('526172211a0700', 'hex'), Buffer.alloc(64)]),
      '文件内容是 RAR 压缩包，平台只接收 zip 格式的压缩包',
    ],
    ['empty.zip', Buffer.alloc(0), '文件是空的（0 字节）'],
  ])('%s', async (name, bytes, what) => {
    expect(await failure(name, bytes)).toBe(
      `${name} 不是有效的 zip 压缩包：${what}，整个压缩包未入库；请用 zip 格式重新压缩后报送`,
    );
  });

  it('a zip cut in half (an upload broken off)', async () => {
    const whole = zipBytes([entry(deflateRawSync(CSV))]);
    expect(await failure('cut.zip', whole.subarray(0, whole.length >> 1))).toBe(
      'cut.zip 不是有效的 zip 压缩包：文件不完整（末尾的目录记录缺失），多为上传、下载或复制中途中断，整个压缩包未入库；请用 zip 格式重新压缩后报送',
    );
  });

  it('a damaged directory record', async () => {
    const bytes = zipBytes([entry(deflateRawSync(CSV))]);
    bytes.writeUInt32LE(0x11111111, bytes.lastIndexOf(Buffer.from('504b0102', 'hex')));
    expect(await failure('directory.zip', bytes)).toBe(
      '压缩包 directory.zip 的文件目录已损坏：文件目录中有一项记录的开头标记不对（记录已损坏或位置有误），无法列出其中的文件，整个压缩包未入库；请重新压缩后报送',
    );
  });
});

describe('a file inside a zip that cannot be unpacked names it and the damage', () => {
  it('deflate data changed', async () => {
    const packed = Buffer.from(deflateRawSync(CSV));
    for (let i = 3; i < packed.length; i += 5) packed[i] = (packed[i] ?? 0) ^ 0x77;
    expect(await failure('inflate.zip', zipBytes([entry(packed)]))).toBe(
      '压缩包 inflate.zip 中的「处罚.csv」已损坏：压缩数据已损坏，无法解压，整个文件未入库；请重新压缩后报送',
    );
  });

  it('deflate data cut short', async () => {
    expect(await failure('short.zip', zipBytes([entry(deflateRawSync(CSV).subarray(0, 10))]))).toBe(
      '压缩包 short.zip 中的「处罚.csv」已损坏：压缩数据不完整，在中途断开（多为上传、下载或复制中途中断），整个文件未入库；请重新压缩后报送',
    );
  });

  it('its data not where the directory says', async () => {
    const bytes = zipBytes([entry(deflateRawSync(CSV))]);
    bytes.writeUInt32LE(0x11111111, 0);
    expect(await failure('local.zip', bytes)).toBe(
      '压缩包 local.zip 中的「处罚.csv」无法读取：文件数据不在目录记录所指的位置（文件不完整或被改动），整个文件未入库；请重新压缩后报送',
    );
  });
});

describe('a .gz that cannot be unpacked', () => {
  const gz = gzipSync(CSV);
  it.each([
    ['plain.csv.gz', CSV, '文件开头没有 gzip 格式的标记，不是 gzip 压缩文件'],
    [
      'cut.csv.gz',
      gz.subarray(0, gz.length - 12),
      '压缩数据不完整，在中途断开（多为上传、下载或复制中途中断）',
    ],
    [
      'changed.csv.gz',
      Buffer.concat([
        gz.subarray(0, gz.length - 8),
        Buffer.from('00000000', 'hex'),
        gz.subarray(gz.length - 4),
      ]),
      '解压出的内容与文件记录的校验值（CRC-32）不符，文件在压缩后被改动或传输中出错',
    ],
  ])('%s', async (name, bytes, what) => {
    expect(await failure(name, bytes)).toBe(
      `压缩文件「${name}」无法解压：${what}，整个文件未入库；请重新压缩后报送`,
    );
  });
});

describe('a drop folder file the platform cannot open', () => {
  it('is refused as file-unreadable in Chinese, without Node’s message or the server’s path', async () => {
    const drop = path.join(dir, 'drop');
    mkdirSync(drop);
    // A link to itself: access() fails with ELOOP, a system error like EACCES (which root never meets).
    symlinkSync('loop.csv', path.join(drop, 'loop.csv'));
    const fetched = new LocalDropPort().fetch(drop, { name: 'loop.csv', size: 0, mtimeMs: 0 });
    await expect(fetched).rejects.toMatchObject({
      code: 'file-unreadable',
      message:
        '无法读取文件 loop.csv，未入库任何数据：平台无法打开该文件（不是文件内容的问题），请联系平台运维人员',
    });
  });
});
