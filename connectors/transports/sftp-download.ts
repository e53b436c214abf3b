import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type SftpClient from 'ssh2-sftp-client';
import { bytesText } from './bytes-text.ts';
import { fileTooLarge, sizeLimitGuard } from './file-size-limit.ts';
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
  if (expectedSize > maxBytes) throw fileTooLarge(remotePath, maxBytes, { listed: expectedSize }, 'download');
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
  // Checked before the bytes are written: a file that grew past the limit since it was listed (or a server that
  // listed it small) never fills the disk either.
  const limited = sizeLimitGuard(maxBytes, (received) =>
    fileTooLarge(remotePath, maxBytes, { listed: expectedSize, received }, 'download'),
  );
  const counting = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      armStall();
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    armStall();
    await pipeline(reader, limited, counting, createWriteStream(temporary, { flags: 'wx' }));
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
