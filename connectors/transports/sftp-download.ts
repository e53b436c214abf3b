import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type SftpClient from 'ssh2-sftp-client';
import { RetryableError } from './retry-with-backoff.ts';
import { localPathFor } from './safe-remote-name.ts';

export interface Downloaded {
  path: string;
  sha256: string;
  sizeBytes: number;
}

/**
 * Streams a remote file into `targetDir` under a temporary name, hashing as it goes; only a download that ended
 * cleanly with the listed size is renamed to `localName`. A broken or short transfer leaves nothing behind but
 * an error, so a half file can never be picked up.
 */
export async function downloadToStaging(
  client: SftpClient,
  remotePath: string,
  localName: string,
  expectedSize: number,
  targetDir: string,
  stallMs: number,
): Promise<Downloaded> {
  const final = localPathFor(targetDir, localName);
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
    throw error;
  } finally {
    clearTimeout(stall);
  }
}
