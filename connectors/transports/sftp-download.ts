import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type SftpClient from 'ssh2-sftp-client';
import { FileDropFileError } from './file-drop/file-drop-port.ts';
import { RetryableError, TransportError } from './retry-with-backoff.ts';
import { localPathFor } from './safe-remote-name.ts';

export interface Downloaded {
  path: string;
  sha256: string;
  sizeBytes: number;
}

export interface DownloadOptions {
  /** The delivery's name, which the local copy keeps. */
  localName: string;
  /** The size the listing gave: a download that ends with another size is a broken transfer. */
  expectedSize: number;
  /** Where the local copy goes (a folder of its own under `stagingDir`). */
  targetDir: string;
  /** The staging directory, as the operator configured it: named when its disk is full. */
  stagingDir: string;
  /** The longest the transfer may go without data, in ms. */
  stallMs: number;
  /** The largest file taken (the pipeline's `maxFileBytes`): checked on the listed size, then while streaming. */
  maxBytes: number;
}

/** Node's codes for a write refused for want of room: the disk is full, or the user's quota is used up. */
const NO_ROOM = new Set(['ENOSPC', 'EDQUOT']);

/**
 * Streams a remote file into `targetDir` under a temporary name, hashing as it goes; only a download that ended
 * cleanly with the listed size is renamed to `localName`. A broken or short transfer leaves nothing behind but
 * an error, so a half file can never be picked up.
 *
 * A file over `maxBytes` (by its listed size, or by the bytes that arrived) is the provider's: it fails alone
 * (`file-too-large`, a `FileDropFileError`) and the drop goes on. A disk that cannot hold it (by the free space
 * up front, or ENOSPC/EDQUOT while writing) is this machine's: `staging-disk-full`, never retried, never recorded
 * against the file, which stays on the server for the run after the operator made room.
 */
export async function downloadToStaging(
  client: SftpClient,
  remotePath: string,
  options: DownloadOptions,
): Promise<Downloaded> {
  const { expectedSize, targetDir, stallMs, maxBytes } = options;
  const final = localPathFor(targetDir, options.localName);
  if (expectedSize > maxBytes) throw tooLarge(remotePath, expectedSize, maxBytes);
  const free = await freeBytes(targetDir);
  if (free !== undefined && expectedSize > free)
    throw diskFull(remotePath, expectedSize, options.stagingDir, free, 'not downloaded: it cannot fit');
  const temporary = path.join(targetDir, `.partial-${randomBytes(6).toString('hex')}`);
  const hash = createHash('sha256');
  let size = 0;
  let stall: NodeJS.Timeout | undefined;
  const reader = client.createReadStream(remotePath, { highWaterMark: 256 * 1024 });
  const armStall = () => {
    clearTimeout(stall);
    stall = setTimeout(
      () =>
        reader.destroy(new RetryableError('download-stalled', `${remotePath}: no data for ${stallMs} ms`)),
      stallMs,
    );
  };
  const counting = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      armStall();
      // Checked before the bytes are written: a file that grew past the limit since it was listed (or a server
      // that listed it small) never fills the disk either.
      if (size + chunk.length > maxBytes) {
        callback(tooLarge(remotePath, expectedSize, maxBytes, size + chunk.length));
        return;
      }
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    armStall();
    await pipeline(reader, counting, createWriteStream(temporary, { flags: 'wx' }));
    if (size !== expectedSize) {
      throw new RetryableError(
        'download-truncated',
        `${remotePath}: received ${size} of ${expectedSize} bytes`,
      );
    }
    const sha256 = hash.digest('hex');
    await rename(temporary, final);
    return { path: final, sha256, sizeBytes: size };
  } catch (error) {
    await rm(temporary, { force: true });
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && NO_ROOM.has(code)) {
      // Measured after the partial download is gone: the room this file had.
      const left = await freeBytes(targetDir);
      throw diskFull(
        remotePath,
        expectedSize,
        options.stagingDir,
        left,
        `${code} after ${size} bytes: disk full or quota used up; the partial download was removed`,
      );
    }
    throw error;
  } finally {
    clearTimeout(stall);
  }
}

/** Bytes an unprivileged writer may still use on the file system of `directory`; undefined when unknown. */
async function freeBytes(directory: string): Promise<number | undefined> {
  try {
    const info = await statfs(directory);
    return info.bavail * info.bsize;
  } catch {
    return undefined;
  }
}

/**
 * The provider's file is over the pipeline's limit: it fails alone, with a message for the provider (Chinese,
 * naming the file, its size and the limit) and the operator's setting in brackets. `received`: the bytes that had
 * arrived when the stream passed the limit (the file grew after it was listed, or the server listed it wrong).
 */
function tooLarge(
  remotePath: string,
  listed: number,
  maxBytes: number,
  received?: number,
): FileDropFileError {
  const size =
    received === undefined
      ? `大小为 ${bytesText(listed)}`
      : `下载时超过了上限（列出时为 ${bytesText(listed)}，收到 ${bytesText(received)} 时停止下载）`;
  return new FileDropFileError(
    'file-too-large',
    `文件 ${remotePath} ${size}，超过该渠道单个文件的上限 ${bytesText(maxBytes)}，未入库任何数据：` +
      '请把数据拆分为多个较小的文件（或压缩为 .zip）后分别报送（运维人员可在管道 transport 的 maxFileBytes 调整上限）',
  );
}

/** This machine's disk cannot hold the download: the operator's problem, never the provider's or the network's. */
function diskFull(
  remotePath: string,
  bytes: number,
  stagingDir: string,
  free: number | undefined,
  what: string,
): TransportError {
  const room = free === undefined ? 'free space unknown' : `${bytesText(free, 'bytes')} free`;
  return new TransportError(
    'staging-disk-full',
    `no room on this machine for ${remotePath} (${bytesText(bytes, 'bytes')}): the staging directory ${stagingDir} has ` +
      `${room} (${what}). Not a fault of the file or the network: the file stays on the server, nothing was ` +
      'recorded against the provider; make room (or point CREDIT_ETL_STAGING_DIR at a larger disk) and run again',
  );
}

/** `52428800 字节（50 MiB）`, or with `bytes` for the operator's English: exact, and readable. */
function bytesText(bytes: number, word: '字节' | 'bytes' = '字节'): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = '';
  for (const next of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  if (unit === '') return `${bytes} ${word}`;
  const readable = `${Math.round(value * 10) / 10} ${unit}`;
  return word === '字节' ? `${bytes} 字节（${readable}）` : `${bytes} bytes (${readable})`;
}
