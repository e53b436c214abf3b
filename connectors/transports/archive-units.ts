import { createReadStream } from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import yauzl from 'yauzl';
import { FileFormatError, type SourceUnit } from '../contracts.ts';
import { localFileUnit } from './local-file.ts';

/** Separates an archive's name from the entry's: `delivery.zip!处罚.csv`. */
export const ENTRY_SEPARATOR = '!';

/**
 * The units of one local file: the file itself, each entry of a `.zip`, or the content of a `.gz`. A zip
 * entry whose name climbs out of the archive (`../x.csv`, `/etc/x`, `C:\x`) becomes a unit that fails with
 * `unsafe-archive-entry`: the provider sees it refused, and the other entries still load.
 */
export async function unitsForFile(file: string, receivedAt?: Date): Promise<SourceUnit[]> {
  const lower = file.toLowerCase();
  if (lower.endsWith('.zip')) return zipUnits(file, receivedAt ?? new Date());
  if (lower.endsWith('.gz')) return [await gzipUnit(file, receivedAt)];
  return [await localFileUnit(file, receivedAt)];
}

async function gzipUnit(file: string, receivedAt?: Date): Promise<SourceUnit> {
  const unit = await localFileUnit(file, receivedAt);
  const inner = unit.name.replace(/\.gz$/i, '');
  return {
    name: `${unit.name}${ENTRY_SEPARATOR}${inner}`,
    ...(unit.path ? { path: unit.path } : {}),
    receivedAt: unit.receivedAt,
    open: () => {
      const out = new PassThrough({ highWaterMark: 256 * 1024 });
      const gunzip = createGunzip();
      gunzip.on('error', (error) =>
        out.destroy(
          new FileFormatError(
            'corrupt-archive',
            `压缩文件 ${unit.name} 已损坏或不是 gzip 格式（${error.message}），请重新压缩后报送`,
          ),
        ),
      );
      createReadStream(file, { highWaterMark: 256 * 1024 })
        .on('error', (error) => out.destroy(error))
        .pipe(gunzip)
        .pipe(out);
      return out;
    },
  };
}

interface ZipEntryInfo {
  index: number;
  name: string;
  size: number;
  problem?: FileFormatError;
}

async function zipUnits(file: string, receivedAt: Date): Promise<SourceUnit[]> {
  const absolute = path.resolve(file);
  const archive = path.basename(absolute);
  const entries = await listZip(absolute, archive);
  return entries.map((entry) => ({
    name: `${archive}${ENTRY_SEPARATOR}${entry.name}`,
    path: absolute,
    sizeBytes: entry.size,
    receivedAt,
    open: () => openZipEntry(absolute, archive, entry),
  }));
}

async function listZip(file: string, archive: string): Promise<ZipEntryInfo[]> {
  const zip = await openZip(file, archive);
  const entries: ZipEntryInfo[] = [];
  try {
    let index = 0;
    for await (const entry of zip.eachEntry()) {
      const name = entryName(entry);
      const current = index++;
      // Folders and macOS resource forks are not deliveries.
      if (name.endsWith('/') || name.startsWith('__MACOSX/')) continue;
      const unsafe = yauzl.validateFileName(name);
      const problem = unsafe
        ? new FileFormatError(
            'unsafe-archive-entry',
            `压缩包 ${archive} 中的文件名「${name}」含有上级目录（..）或绝对路径，出于安全考虑拒收该文件；请只打包数据文件本身后重新报送`,
          )
        : entry.isEncrypted()
          ? new FileFormatError(
              'encrypted-archive-entry',
              `压缩包 ${archive} 中的「${name}」设有密码，无法读取；请不加密重新打包`,
            )
          : undefined;
      entries.push({ index: current, name, size: entry.uncompressedSize, ...(problem ? { problem } : {}) });
    }
  } finally {
    zip.close();
  }
  return entries;
}

/** Each open reads the central directory again: units may be opened long after listing, one at a time. */
function openZipEntry(file: string, archive: string, wanted: ZipEntryInfo): Readable {
  const out = new PassThrough({ highWaterMark: 256 * 1024 });
  if (wanted.problem) {
    process.nextTick(() => out.destroy(wanted.problem));
    return out;
  }
  (async () => {
    const zip = await openZip(file, archive);
    let index = 0;
    for await (const entry of zip.eachEntry()) {
      if (index++ !== wanted.index) continue;
      const stream = await zip.openReadStreamPromise(entry);
      stream.on('error', (error) =>
        out.destroy(
          new FileFormatError(
            'corrupt-archive',
            `压缩包 ${archive} 中的「${wanted.name}」已损坏：${error.message}`,
          ),
        ),
      );
      stream.on('end', () => zip.close());
      stream.pipe(out);
      return;
    }
    zip.close();
    throw new FileFormatError('corrupt-archive', `压缩包 ${archive} 中找不到「${wanted.name}」`);
  })().catch((error: Error) => out.destroy(error));
  return out;
}

async function openZip(file: string, archive: string): Promise<yauzl.ZipFile> {
  try {
    // Names are decoded here, not by yauzl: it would stop at the first unsafe name, and Chinese Windows
    // tools write GBK names without the UTF-8 flag.
    return await yauzl.openPromise(file, { lazyEntries: true, decodeStrings: false, autoClose: false });
  } catch (error) {
    throw new FileFormatError(
      'corrupt-archive',
      `${archive} 不是有效的 zip 压缩包（${(error as Error).message}），请重新压缩后报送`,
    );
  }
}

const UTF8_FLAG = 0x800;

function entryName(entry: yauzl.Entry): string {
  const raw = entry.fileNameRaw;
  if ((entry.generalPurposeBitFlag & UTF8_FLAG) !== 0) return raw.toString('utf8');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return new TextDecoder('gb18030').decode(raw);
  }
}
