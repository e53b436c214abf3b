import yauzl from 'yauzl';
import { FileFormatError } from '../contracts.ts';
import { fileHead, isNotZipError, notZipKind, zipDamageText } from '../library-error-text.ts';

/**
 * A zip's central directory through yauzl: opened lazily, its records read in order while listing, or one record
 * read straight from its offset when an entry is opened, so that opening entry k does not read the k records
 * before it again (over a zip of 1,000 entries, reading every entry so cost about half a million records).
 */

export async function openZip(file: string, archive: string): Promise<yauzl.ZipFile> {
  try {
    // Names are decoded here, not by yauzl: it would stop at the first unsafe name, and Chinese Windows
    // tools write GBK names without the UTF-8 flag.
    return await yauzl.openPromise(file, { lazyEntries: true, decodeStrings: false, autoClose: false });
  } catch (error) {
    throw notAZip(archive, error, await fileHead(file));
  }
}

/** A file yauzl cannot open as a zip: what it is instead, or what is broken, in the provider's words. */
function notAZip(archive: string, error: unknown, head: Buffer | undefined): FileFormatError {
  const what = ((): string => {
    if (!isNotZipError(error)) return zipDamageText(error) ?? '无法读取其 zip 结构';
    const found = notZipKind(head);
    if (found.kind === 'empty') return '文件是空的（0 字节）';
    if (found.kind === 'truncated') return '文件不完整（末尾的目录记录缺失），多为上传、下载或复制中途中断';
    if (found.kind === 'other') return `文件内容是 ${found.what}，平台只接收 zip 格式的压缩包`;
    return '文件内容不是 zip 格式（可能是其他格式的压缩包，或改了扩展名的文件）';
  })();
  return new FileFormatError(
    'corrupt-archive',
    `${archive} 不是有效的 zip 压缩包：${what}，整个压缩包未入库；请用 zip 格式重新压缩后报送`,
    { cause: error },
  );
}

/**
 * Where yauzl reads the next directory record. yauzl has no public call to read a record by its offset, so this
 * field of its `ZipFile` is read (while listing) and set (when opening); the @types declare it as a boolean.
 * yauzl is pinned to an exact version in package.json for it; a version without the field fails loudly here.
 */
interface RecordCursor {
  readEntryCursor: number;
}

function cursorOf(zip: yauzl.ZipFile): RecordCursor {
  const cursor = zip as unknown as RecordCursor;
  if (!Number.isSafeInteger(cursor.readEntryCursor)) {
    throw new Error('yauzl no longer keeps its directory position in readEntryCursor: see zip-directory.ts');
  }
  return cursor;
}

/** The offset of the directory record the next entry is read from: before any read, the directory's start. */
export function nextRecordOffset(zip: yauzl.ZipFile): number {
  return cursorOf(zip).readEntryCursor;
}

/**
 * The entry whose directory record starts at `offset`, read with yauzl's own checks, or undefined when no record
 * is there (the zip changed since it was listed): the offset is outside the directory, or the bytes there are no
 * record yauzl can read. `zip` must be freshly opened: nothing read from it yet.
 */
export async function entryAtRecord(zip: yauzl.ZipFile, offset: number): Promise<yauzl.Entry | undefined> {
  const cursor = cursorOf(zip);
  if (!Number.isSafeInteger(offset) || offset < cursor.readEntryCursor || offset >= zip.fileSize)
    return undefined;
  cursor.readEntryCursor = offset;
  try {
    for await (const entry of zip.eachEntry()) return entry;
  } catch (error) {
    // A read that failed (EIO, EMFILE) is no sign of a changed zip: it is rethrown as the system's error.
    if (typeof (error as { code?: unknown }).code === 'string') throw error;
  }
  return undefined;
}

const UTF8_FLAG = 0x800;

/** An entry's name as the provider wrote it: UTF-8 when flagged or valid, else GBK (old Chinese Windows tools). */
export function entryName(entry: yauzl.Entry): string {
  const raw = entry.fileNameRaw;
  if ((entry.generalPurposeBitFlag & UTF8_FLAG) !== 0) return raw.toString('utf8');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return new TextDecoder('gb18030').decode(raw);
  }
}
