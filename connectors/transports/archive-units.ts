import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip, createInflateRaw } from 'node:zlib';
import yauzl from 'yauzl';
import { FileFormatError, type SourceUnit, type UnitLocator } from '../contracts.ts';
import { damageText, inflateDamageText, zipDamageText } from '../library-error-text.ts';
import { type Limits, readLimits } from '../limits.ts';
import { crcCheck } from '../zip-crc.ts';
import { expansionGuard } from './expansion-guard.ts';
import { localFileUnit } from './local-file.ts';
import { entryAtRecord, entryName, nextRecordOffset, openZip } from './zip-directory.ts';

/** Separates an archive's name from the entry's: `delivery.zip!处罚.csv`. */
export const ENTRY_SEPARATOR = '!';

const CHUNK = 256 * 1024;

/** The zip compression methods read: 0 stored (no compression) and 8 deflated; others are refused by name. */
const STORED = 0;
const DEFLATED = 8;

/**
 * The units of one local file: the file itself, each entry of a `.zip`, or the content of a `.gz`. A zip
 * entry whose name climbs out of the archive (`../x.csv`, `/etc/x`, `C:\x`) becomes a unit that fails with
 * `unsafe-archive-entry`: the provider sees it refused, and the other entries still load. A zip of more files
 * than `CREDIT_ETL_MAX_ARCHIVE_ENTRIES` becomes one unit, named after the archive, that fails with
 * `decompression-limit`: nothing of it is read. A zip with no file to read (empty, or only folders, hidden files and
 * `__MACOSX/` forks, all passed over) becomes one unit named after the archive that fails with `empty-archive`: never
 * no unit at all, which would load nothing and say nothing. An archive inside a zip fails alone as `nested-archive`.
 * Every other unit has a locator, so an isolated worker can reopen (and decompress) it itself.
 */
export async function unitsForFile(
  file: string,
  receivedAt?: Date,
  limits: Limits = readLimits(),
): Promise<SourceUnit[]> {
  const lower = file.toLowerCase();
  if (lower.endsWith('.zip')) return zipUnits(file, receivedAt ?? new Date(), limits);
  if (lower.endsWith('.gz')) return [await gzipUnit(file, receivedAt, limits)];
  return [await localFileUnit(file, receivedAt)];
}

/**
 * The bytes a locator points at, decompressed within the limits: a bomb fails with `decompression-limit`
 * after a few MiB, before memory grows. Bytes changed since they were packed fail as `corrupt-archive` at their
 * end (a zip entry against its CRC-32; gzip checks its own). The same code runs in the scheduler's thread and in a
 * unit's worker.
 */
export function openLocated(locator: UnitLocator, limits: Limits): Readable {
  if (locator.kind === 'file') return createReadStream(locator.path, { highWaterMark: CHUNK });
  if (locator.kind === 'gzip') return openGzip(locator.path, limits);
  return openZipEntry(locator, limits);
}

async function gzipUnit(file: string, receivedAt: Date | undefined, limits: Limits): Promise<SourceUnit> {
  const unit = await localFileUnit(file, receivedAt);
  const inner = unit.name.replace(/\.gz$/i, '');
  const locator: UnitLocator = { kind: 'gzip', path: unit.path ?? path.resolve(file) };
  return {
    name: `${unit.name}${ENTRY_SEPARATOR}${inner}`,
    path: locator.path,
    locator,
    ...(unit.listed ? { listed: unit.listed } : {}),
    receivedAt: unit.receivedAt,
    open: () => openLocated(locator, limits),
  };
}

function openGzip(file: string, limits: Limits): Readable {
  const label = `压缩文件「${path.basename(file)}」`;
  const out = new PassThrough({ highWaterMark: CHUNK });
  const fail = (error: Error) => out.destroy(error);
  const gunzip = createGunzip().on('error', (error) =>
    fail(
      new FileFormatError(
        'corrupt-archive',
        `${label}无法解压：${inflateDamageText(error) ?? '压缩数据已损坏'}，整个文件未入库；请重新压缩后报送`,
        { cause: error },
      ),
    ),
  );
  const compressed = createReadStream(file, { highWaterMark: CHUNK }).on('error', fail);
  const guard = expansionGuard(label, limits, () => gunzip.bytesWritten).on('error', fail);
  compressed.pipe(gunzip).pipe(guard).pipe(out);
  out.on('close', () => compressed.destroy());
  return out;
}

interface ZipEntryInfo {
  index: number;
  /** The offset of its central directory record: where it is read from again when it is opened. */
  record: number;
  name: string;
  size: number;
  problem?: FileFormatError;
}

async function zipUnits(file: string, receivedAt: Date, limits: Limits): Promise<SourceUnit[]> {
  const absolute = path.resolve(file);
  const archive = path.basename(absolute);
  // Before the directory is read: an archive still being written is found changed once its entry is read.
  const info = await stat(absolute);
  const listed = { size: info.size, mtimeMs: info.mtimeMs };
  const listing = await listZip(absolute, archive, limits.maxArchiveEntries);
  if ('refused' in listing) {
    // Refused whole, as one file: one failed row in the ledger (not one per entry), and the feed goes on.
    const { refused } = listing;
    return [
      {
        name: archive,
        path: absolute,
        sizeBytes: listing.bytes,
        receivedAt,
        rows: () => Promise.reject(refused),
      },
    ];
  }
  if (listing.entries.length === 0) {
    // Nothing to read (an empty zip, or only folders, hidden files, macOS forks): a failed delivery, said as
    // such, never a run that completes with nothing recorded.
    const empty = emptyArchive(archive, listing.skipped);
    return [
      { name: archive, path: absolute, sizeBytes: info.size, receivedAt, rows: () => Promise.reject(empty) },
    ];
  }
  return listing.entries.map((entry): SourceUnit => {
    const unit = {
      name: `${archive}${ENTRY_SEPARATOR}${entry.name}`,
      path: absolute,
      sizeBytes: entry.size,
      listed,
      receivedAt,
    };
    const { problem } = entry;
    // Refused by its name or its record: it fails with that reason, whatever its extension (a nested `.zip` is
    // no format the loader reads, and would otherwise fail as an unsupported type).
    if (problem) return { ...unit, open: () => failedStream(problem), rows: () => Promise.reject(problem) };
    const locator: UnitLocator = {
      kind: 'zip-entry',
      path: absolute,
      index: entry.index,
      entry: entry.name,
      record: entry.record,
    };
    return { ...unit, locator, open: () => openLocated(locator, limits) };
  });
}

/**
 * Directory records of any kind (files, folders, `__MACOSX/` forks) one zip may list, per file it may hold:
 * room for a fork beside every file and a folder (with its fork) beside each, as a Mac zips them. Folders and
 * forks are no units, but each is a record to read while listing: uncounted, 100 MB of folder records would cost
 * minutes with no file over the limit.
 */
const RECORDS_PER_ENTRY = 4;

/**
 * The entries of a zip from its central directory, or the archive refused whole: when the directory states
 * more records than `RECORDS_PER_ENTRY` × `maxEntries` (before a record is read), or once more than
 * `maxEntries` files are listed (the listing stops there, so a 100 MB zip of 200,000 empty files costs a
 * thousand directory records, not 200,000 units).
 */
async function listZip(
  file: string,
  archive: string,
  maxEntries: number,
): Promise<{ entries: ZipEntryInfo[]; skipped: Skipped } | { refused: FileFormatError; bytes: number }> {
  const zip = await openZip(file, archive);
  if (zip.entryCount > RECORDS_PER_ENTRY * maxEntries) {
    zip.close();
    return { refused: tooManyEntries(archive, maxEntries, zip.entryCount, 'records'), bytes: zip.fileSize };
  }
  const entries: ZipEntryInfo[] = [];
  const skipped: Skipped = { folders: 0, hidden: 0, forks: 0 };
  try {
    let index = 0;
    let next = nextRecordOffset(zip);
    for await (const entry of zip.eachEntry()) {
      const record = next;
      next = nextRecordOffset(zip);
      const raw = entryName(entry);
      // A control character (a NUL above all) could not even be recorded: the name is shown escaped.
      const name = raw.replace(CONTROL_CHARACTERS, escapeControl);
      const current = index++;
      // Folders, macOS resource forks and hidden files (`.DS_Store`, as in a drop folder) are not deliveries.
      if (name.startsWith('__MACOSX/')) {
        skipped.forks++;
        continue;
      }
      if (name.endsWith('/')) {
        skipped.folders++;
        continue;
      }
      if (isHiddenEntry(name)) {
        skipped.hidden++;
        continue;
      }
      // Refused and encrypted entries count too: each would still be a unit, a row in the ledger.
      if (entries.length >= maxEntries) {
        return { refused: tooManyEntries(archive, maxEntries, zip.entryCount, 'files'), bytes: zip.fileSize };
      }
      const problem = yauzl.validateFileName(raw)
        ? new FileFormatError(
            'unsafe-archive-entry',
            `压缩包 ${archive} 中的文件名「${name}」含有上级目录（..）或绝对路径，出于安全考虑拒收该文件；请只打包数据文件本身后重新报送`,
          )
        : name !== raw
          ? new FileFormatError(
              'unsafe-archive-entry',
              `压缩包 ${archive} 中的文件名「${name}」含有控制字符（如空字符 NUL，已以 \\u 形式显示），出于安全考虑拒收该文件；请改用普通文件名后重新打包报送`,
            )
          : isArchiveName(name)
            ? new FileFormatError(
                'nested-archive',
                `压缩包 ${archive} 中的「${name}」本身又是压缩包：压缩包内不接受再嵌套压缩包，该文件未读取；请把其中的数据文件（CSV、XLSX）直接放入 ${archive}，或把它作为单独的压缩包报送`,
              )
            : entry.isEncrypted()
              ? new FileFormatError(
                  'encrypted-archive-entry',
                  `压缩包 ${archive} 中的「${name}」设有密码，无法读取；请不加密重新打包`,
                )
              : entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATED
                ? new FileFormatError(
                    'unsupported-format',
                    `压缩包 ${archive} 中的「${name}」使用了不支持的压缩方式（编号 ${entry.compressionMethod}，如 bzip2、LZMA），无法读取；请用常见的 zip 压缩（Deflate）重新打包`,
                  )
                : undefined;
      entries.push({
        index: current,
        record,
        name,
        size: entry.uncompressedSize,
        ...(problem ? { problem } : {}),
      });
    }
  } catch (error) {
    // The end record was found, but a directory record after it is broken: the archive is, not the engine.
    if (error instanceof FileFormatError) throw error;
    throw new FileFormatError(
      'corrupt-archive',
      `压缩包 ${archive} 的文件目录已损坏：${zipDamageText(error) ?? '无法读取'}，无法列出其中的文件，整个压缩包未入库；请重新压缩后报送`,
      { cause: error },
    );
  } finally {
    zip.close();
  }
  return { entries, skipped };
}

/** What a zip's listing passed over: folder records, hidden files, macOS resource forks (`__MACOSX/…`). */
interface Skipped {
  folders: number;
  hidden: number;
  forks: number;
}

/** A zip with no file to read: what it held instead, and what to do. */
function emptyArchive(archive: string, skipped: Skipped): FileFormatError {
  const held = [
    skipped.folders > 0 ? `${skipped.folders} 个文件夹` : '',
    skipped.hidden > 0 ? `${skipped.hidden} 个隐藏文件（名称以“.”开头，如 .DS_Store）` : '',
    skipped.forks > 0 ? `${skipped.forks} 个 macOS 附加文件（__MACOSX/）` : '',
  ].filter((part) => part !== '');
  const found = held.length === 0 ? '压缩包是空的' : `其中只有 ${held.join('、')}，这些不作为数据读取`;
  return new FileFormatError(
    'empty-archive',
    `压缩包 ${archive} 中没有可读取的数据文件：${found}，未入库任何数据；请把数据文件（CSV、XLSX）放入压缩包后重新报送`,
  );
}

/** A hidden file (`.DS_Store`, `sub/.x.csv`), by the last part of its name: skipped, as a drop folder skips one. */
function isHiddenEntry(name: string): boolean {
  const base = name.slice(name.lastIndexOf('/') + 1);
  return base.startsWith('.') && base !== '.' && base !== '..';
}

/** Archives are unpacked one level only: an archive inside a zip is refused by name, not read as an unknown type. */
const ARCHIVE_EXTENSIONS = /\.(zip|gz|tgz|tar|rar|7z|bz2|xz)$/i;

function isArchiveName(name: string): boolean {
  return ARCHIVE_EXTENSIONS.test(name);
}

/**
 * The operators' remark after a zip of too many files: `CREDIT_ETL_MAX_ARCHIVE_ENTRIES`, which only they can set.
 * What a provider reads (the direct-report page, the report it downloads, a review notice) is the message without
 * it (src/report/provider-message.ts).
 */
export const ARCHIVE_ENTRIES_OPERATOR_NOTE = '（运维人员可用 CREDIT_ETL_MAX_ARCHIVE_ENTRIES 调整上限）';

/**
 * A zip over `CREDIT_ETL_MAX_ARCHIVE_ENTRIES`: the code of the other archive limits, the number of records its
 * central directory states (folders included: the listing stopped at the limit), the limit and what to do.
 */
function tooManyEntries(
  archive: string,
  maxEntries: number,
  stated: number,
  over: 'files' | 'records',
): FileFormatError {
  const maxRecords = RECORDS_PER_ENTRY * maxEntries;
  const found =
    over === 'files'
      ? `中的文件超过 ${maxEntries} 个（压缩包目录共列出 ${stated} 项；单个压缩包最多 ${maxEntries} 个文件，文件夹不计）`
      : `的目录共列出 ${stated} 项（文件和文件夹），超过 ${maxRecords} 项（单个压缩包最多 ${maxEntries} 个文件，连同文件夹不超过 ${maxRecords} 项）`;
  return new FileFormatError(
    'decompression-limit',
    `压缩包 ${archive} ${found}，整个压缩包已拒收，其中的文件均未读取，未入库任何数据；请把同一目录的数据合并为较少的文件（一个 CSV 或 XLSX 可装许多行），或分为每个不超过 ${maxEntries} 个文件的多个压缩包后重新报送${ARCHIVE_ENTRIES_OPERATOR_NOTE}`,
  );
}

function failedStream(error: Error): Readable {
  const out = new PassThrough();
  process.nextTick(() => out.destroy(error));
  return out;
}

/**
 * Each open reads the entry's own directory record again, from the offset the listing found it at, and checks
 * that it still names the entry: units may be opened long after listing, one at a time, in another thread.
 */
function openZipEntry(wanted: UnitLocator & { kind: 'zip-entry' }, limits: Limits): Readable {
  const archive = path.basename(wanted.path);
  const label = `压缩包 ${archive} 中的「${wanted.entry}」`;
  const out = new PassThrough({ highWaterMark: CHUNK });
  (async () => {
    if (!Number.isSafeInteger(wanted.record)) {
      // Locators live for one run (passed to a unit's worker), never stored: this one was built by hand.
      throw new Error(
        `zip-entry locator of ${archive}!${wanted.entry} has no record offset: list the archive with unitsForFile`,
      );
    }
    const zip = await openZip(wanted.path, archive);
    try {
      const entry = await entryAtRecord(zip, wanted.record);
      if (!entry || entryName(entry) !== wanted.entry) {
        throw new FileFormatError('corrupt-archive', `压缩包 ${archive} 中找不到「${wanted.entry}」`);
      }
      // Deflated bytes are inflated here, not by yauzl, so that the guard can count them as they come. yauzl
      // takes `decompress` only for a deflated entry: it reads a stored one (method 0) as it is, and refuses an
      // encrypted entry or another method with its own message.
      const deflated = entry.compressionMethod === DEFLATED;
      const raw = await zip
        .openReadStreamPromise(entry, deflated ? { decompress: false } : {})
        .catch((error: Error & { code?: unknown }) => {
          // A read that failed (EIO) is the system's; anything else yauzl says of the entry is the file's.
          if (typeof error.code === 'string') throw error;
          throw new FileFormatError(
            'corrupt-archive',
            `${label}无法读取：${zipDamageText(error) ?? 'zip 结构已损坏'}，整个文件未入库；请重新压缩后报送`,
            { cause: error },
          );
        });
      const corrupt = (error: Error) =>
        out.destroy(
          new FileFormatError(
            'corrupt-archive',
            `${label}已损坏：${damageText(error) ?? '压缩数据无法解压'}，整个文件未入库；请重新压缩后报送`,
            { cause: error },
          ),
        );
      raw.on('error', corrupt).on('end', () => zip.close());
      out.on('close', () => {
        raw.destroy();
        zip.close();
      });
      // Over a limit, or changed since it was packed: the file's fault, said by the guard or the check.
      const refused = (error: Error) => out.destroy(error);
      // Stored or deflated, the bytes as they come out must be the ones the directory's CRC-32 stands for; the
      // check fails at the entry's end, in place of it, so the unit's transaction never reaches its commit.
      const mismatch = (found: string, recorded: string) => crcMismatch(label, found, recorded);
      const check = crcCheck(entry.crc32, mismatch, CHUNK).on('error', refused);
      if (!deflated) {
        // Stored: as many bytes out as in (yauzl checked both sizes agree and counts the bytes it reads), but
        // the cap on one entry's bytes holds for it as for a deflated one.
        raw.pipe(expansionGuard(label, limits).on('error', refused)).pipe(check).pipe(out);
        return;
      }
      const inflate = createInflateRaw().on('error', corrupt);
      const guard = expansionGuard(label, limits, () => inflate.bytesWritten).on('error', refused);
      raw.pipe(inflate).pipe(guard).pipe(check).pipe(out);
    } catch (error) {
      zip.close();
      throw error;
    }
  })().catch((error: Error) => out.destroy(error));
  return out;
}

/** The entry's bytes are not those its CRC-32 was computed from: damaged since it was packed. */
function crcMismatch(label: string, found: string, recorded: string): FileFormatError {
  return new FileFormatError(
    'corrupt-archive',
    `${label}已损坏：解压出的内容与压缩包记录的校验值不符（CRC-32 应为 ${recorded}，实为 ${found}），文件在打包后被改动或传输中出错，整个文件未入库；请重新压缩后报送`,
  );
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

function escapeControl(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
