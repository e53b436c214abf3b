import { createHash } from 'node:crypto';
import { constants, createReadStream, type Dirent } from 'node:fs';
import { access, lstat, mkdir, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { makeDirectory } from '../../make-directory.ts';
import { DEFAULT_MAX_FILE_BYTES, fileTooLarge, sizeLimitGuard } from '../file-size-limit.ts';
import {
  DropDirectoryError,
  type DropEntry,
  directoriesBelow,
  type FetchedFile,
  FileDropFileError,
  type FileDropPort,
} from './file-drop-port.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const gb18030 = new TextDecoder('gb18030');

/**
 * A drop folder on this machine: files are read where they lie, nothing is copied. A file over `maxFileBytes` (by
 * its listed size, or by the bytes read while it is hashed: a file still growing) fails alone as `file-too-large`.
 */
export class LocalDropPort implements FileDropPort {
  readonly paths = path;

  constructor(private readonly maxFileBytes: number = DEFAULT_MAX_FILE_BYTES) {}

  describe(directory: string): string {
    return path.resolve(directory);
  }

  async list(directory: string): Promise<DropEntry[] | undefined> {
    let found: Dirent<Buffer>[];
    try {
      // Names as bytes: a name that is not UTF-8 (a GBK name from a Windows tool) would come back garbled as
      // text, and nothing could be opened by it.
      found = await readdir(directory, { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      if (isCode(error, 'ENOENT', 'ENOTDIR')) return undefined;
      throw error;
    }
    const base = Buffer.from(path.join(directory, path.sep));
    const entries = await Promise.all(
      found.map(async (entry): Promise<DropEntry | undefined> => {
        const bytes = entry.name;
        let name: string;
        const refusals: string[] = [];
        try {
          name = utf8.decode(bytes);
        } catch {
          name = gb18030.decode(bytes);
          refusals.push(`its name is not UTF-8 (shown as read in GB18030; bytes ${maskedHex(bytes)})`);
        }
        const kind = notRegularFile(entry);
        if (kind) refusals.push(`${kind}, not a file`);
        try {
          // The entry itself: a link is not followed (its target may be anywhere).
          const info = await lstat(Buffer.concat([base, bytes]));
          return {
            name,
            size: info.size,
            mtimeMs: info.mtimeMs,
            ...(refusals.length > 0 ? { refusal: refusals.join('; ') } : {}),
          };
        } catch {
          return undefined; // gone between listing and stat
        }
      }),
    );
    return entries.filter((entry) => entry !== undefined);
  }

  async fetch(directory: string, entry: DropEntry, signal?: AbortSignal): Promise<FetchedFile> {
    const file = path.join(directory, entry.name);
    const maxBytes = this.maxFileBytes;
    if (entry.size > maxBytes) throw fileTooLarge(entry.name, maxBytes, { listed: entry.size }, 'read');
    try {
      await access(file, constants.R_OK);
      // Listed as a file, but a link by now (swapped after the listing): its target is never read.
      if (!(await lstat(file)).isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOTFILE' });
    } catch (error) {
      // Not Node's text (`EACCES: permission denied, access '/srv/drop/…'`): English, and the server's paths.
      throw isCode(error, 'ENOENT')
        ? new FileDropFileError('file-vanished', `文件 ${entry.name} 在读取前已被移走或删除`)
        : new FileDropFileError(
            'file-unreadable',
            `无法读取文件 ${entry.name}，未入库任何数据：${isCode(error, 'EACCES', 'EPERM') ? '平台没有读取该文件的权限' : '平台无法打开该文件'}（不是文件内容的问题），请联系平台运维人员`,
          );
    }
    // Hashed here, as a download is while it streams (the transport then reads a plain file no second time), and
    // within the limit: a file still being written stops at it instead of being read on for as long as it grows.
    const hash = createHash('sha256');
    try {
      await pipeline(
        createReadStream(file, { highWaterMark: 256 * 1024 }),
        sizeLimitGuard(maxBytes, (received) =>
          fileTooLarge(entry.name, maxBytes, { listed: entry.size, received }, 'read'),
        ),
        async (bytes: AsyncIterable<Buffer>) => {
          for await (const chunk of bytes) hash.update(chunk);
        },
        ...(signal ? [{ signal }] : []),
      );
    } catch (error) {
      // Over the limit: the file's own failure; gone: the transport's vanished check; a stop: the run's.
      if (error instanceof FileDropFileError || isCode(error, 'ENOENT') || signal?.aborted) throw error;
      // Another read fault (EIO…): no hash here, so the transport's own read fails this file alone, as it did
      // before the limit was checked here; never the whole poll.
      return { path: file, release: async () => undefined };
    }
    return { path: file, sha256: hash.digest('hex'), release: async () => undefined };
  }

  async exists(file: string): Promise<boolean> {
    try {
      await lstat(file);
      return true;
    } catch {
      return false;
    }
  }

  async stat(file: string): Promise<Pick<DropEntry, 'size' | 'mtimeMs'> | undefined> {
    try {
      const info = await lstat(file);
      return { size: info.size, mtimeMs: info.mtimeMs };
    } catch (error) {
      if (isCode(error, 'ENOENT', 'ENOTDIR')) return undefined;
      throw error;
    }
  }

  async move(from: string, to: string, root: string): Promise<void> {
    const target = path.dirname(to);
    const below = directoriesBelow(path, root, target);
    if (!below) {
      // Outside the drop directory: where the operator's configuration says (an absolute processedDir). Made
      // one level at a time: Node's recursive mkdir never returns under /proc.
      await makeDirectory(target);
    } else {
      // One level at a time, never `mkdir -p`, which would follow a link it meets.
      for (const directory of below) {
        const problem = await notRealDirectory(directory);
        if (problem === 'missing') await mkdir(directory).catch((error) => ignoreCode(error, 'EEXIST'));
        else if (problem) throw refusedMove(root, target, directory, problem);
        const again = await notRealDirectory(directory);
        if (again) throw refusedMove(root, target, directory, again);
      }
    }
    await rename(from, to);
  }

  async linkBelow(root: string, directory: string): Promise<string | undefined> {
    for (const each of directoriesBelow(path, root, directory) ?? []) {
      const problem = await notRealDirectory(each);
      if (problem === 'missing') return undefined;
      if (problem) return `${path.relative(root, each)} ${problem}`;
    }
    return undefined;
  }

  async close(): Promise<void> {}
}

/**
 * What a listed entry is when it is not a regular file: a link (its target may be anywhere), a directory, a named
 * pipe (reading it would wait for a writer), a socket or a device. Each is listed with a refusal, so that one named
 * like a delivery (`dir.csv`, `fifo.csv`) is reported every run rather than passed over unseen; never read.
 */
function notRegularFile(entry: Dirent<Buffer>): string | undefined {
  if (entry.isFile()) return undefined;
  if (entry.isSymbolicLink()) return 'a symbolic link';
  if (entry.isDirectory()) return 'a directory';
  if (entry.isFIFO()) return 'a named pipe (FIFO)';
  if (entry.isSocket()) return 'a socket';
  if (entry.isCharacterDevice() || entry.isBlockDevice()) return 'a device';
  return 'of an unknown kind';
}

/** The two bytes at `i` as one number (`0xa3b0`), or -1 at the last byte. */
const pairAt = (bytes: Buffer, i: number): number => (i + 1 < bytes.length ? bytes.readUInt16BE(i) : -1);

/** Digits as a name's bytes hold them: ASCII 0–9, X and x; GB18030's full-width ０–９, Ｘ and ｘ (A3B0–A3B9, A3D8, A3F8). */
function digitWidthAt(bytes: Buffer, i: number): number {
  const byte = bytes[i]!;
  if ((byte >= 0x30 && byte <= 0x39) || byte === 0x58 || byte === 0x78) return 1;
  const pair = pairAt(bytes, i);
  return (pair >= 0xa3b0 && pair <= 0xa3b9) || pair === 0xa3d8 || pair === 0xa3f8 ? 2 : 0;
}

/** What parts the groups of a spaced ID: ASCII spaces and hyphens; GB18030's ideographic space and － (A1A1, A3AD). */
function separatorWidthAt(bytes: Buffer, i: number): number {
  const byte = bytes[i]!;
  if (byte === 0x20 || byte === 0x2d || (byte >= 0x09 && byte <= 0x0d)) return 1;
  const pair = pairAt(bytes, i);
  return pair === 0xa1a1 || pair === 0xa3ad ? 2 : 0;
}

/**
 * A name's bytes in hex, to find the file on disk by (`ls | od -c`, a shell's `$'\xb4\xa6…'`), without spelling an
 * ID in hex (an ASCII digit d is `3d`, a full-width one `a3bd`) where the name as read beside them shows it masked.
 * The rule: a run of 15 or more digits (digitWidthAt), its groups parted or not by separators (separatorWidthAt), keeps
 * the hex of its first 4 and last 4 digits and of its separators; each byte of its other digits is `**`, as the
 * masker masks an ID (`3701**********0030` → `33373031********************30303330`). Stricter than the masker:
 * any such run, an ID or not (an all-digit USCC too, which the name as read shows in full). Bytes are read one by
 * one, not as GB18030 characters: a byte inside a character that looks like a digit is masked too, never one too
 * few. Other forms of digits (circled ①…) are left as they are: the name as read is masked in every form.
 */
export function maskedHex(bytes: Buffer): string {
  const shown = [...bytes].map((byte) => byte.toString(16).padStart(2, '0'));
  let i = 0;
  while (i < bytes.length) {
    if (digitWidthAt(bytes, i) === 0) {
      i++;
      continue;
    }
    // A run: digits, with separators between them (none after its last digit).
    const digits: [number, number][] = [];
    let at = i;
    for (;;) {
      const width = digitWidthAt(bytes, at);
      if (width > 0) {
        digits.push([at, width]);
        at += width;
        continue;
      }
      let gap = at;
      while (gap < bytes.length && separatorWidthAt(bytes, gap) > 0) gap += separatorWidthAt(bytes, gap);
      if (gap === at || gap >= bytes.length || digitWidthAt(bytes, gap) === 0) break;
      at = gap;
    }
    if (digits.length >= 15)
      for (const [start, width] of digits.slice(4, -4))
        for (let b = start; b < start + width; b++) shown[b] = '**';
    i = at;
  }
  return shown.join('');
}

/** What `directory` is when it is not a real directory (`missing` when nothing is there), else undefined. */
async function notRealDirectory(directory: string): Promise<string | undefined> {
  try {
    const info = await lstat(directory);
    if (info.isSymbolicLink()) return 'is a symbolic link';
    return info.isDirectory() ? undefined : 'is not a directory';
  } catch (error) {
    if (isCode(error, 'ENOENT')) return 'missing';
    throw error;
  }
}

function refusedMove(root: string, target: string, directory: string, problem: string): DropDirectoryError {
  return new DropDirectoryError(
    `${path.relative(root, target)}/ is not a real directory inside ${root}: ${path.relative(root, directory)} ${problem}; ` +
      'nothing was moved through it (a link there would file deliveries wherever it points): replace it with a real directory',
  );
}

function ignoreCode(error: unknown, code: string): void {
  if (!isCode(error, code)) throw error;
}

function isCode(error: unknown, ...codes: string[]): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && codes.includes(code);
}
