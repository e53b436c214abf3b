import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type SftpClient from 'ssh2-sftp-client';
import type { TransportContext } from '../../contracts.ts';
import { makeDirectory } from '../../make-directory.ts';
import { DEFAULT_MAX_FILE_BYTES } from '../file-size-limit.ts';
import { retryPolicy, TransportError } from '../retry-with-backoff.ts';
import type { SftpTransportConfig } from '../sftp-config.ts';
import { SftpConnection } from '../sftp-connection.ts';
import { downloadToStaging } from '../sftp-download.ts';
import {
  DropDirectoryError,
  type DropEntry,
  directoriesBelow,
  type FetchedFile,
  FileDropFileError,
  type FileDropPort,
} from './file-drop-port.ts';

/**
 * Errors about one remote file, not the server: the poll goes on. A file gone fails alone (or vanished); one the
 * server refuses the platform's login (`remote-permission-denied`) is the platform's, never recorded against the
 * file or its provider: it stays on the server and the run fails naming it (src/run/failed-unit.ts).
 */
const FILE_CODES = new Set(['remote-not-found', 'remote-permission-denied']);

/**
 * A drop on an SFTP server. A delivery is downloaded into a directory of its own under the staging directory
 * (so it keeps its name) and deleted when released; every remote step retries through `SftpConnection`.
 */
export class SftpDropPort implements FileDropPort {
  readonly paths = path.posix;
  private readonly connection: SftpConnection;

  constructor(
    private readonly config: SftpTransportConfig,
    private readonly context: TransportContext,
  ) {
    this.connection = new SftpConnection(config, context.env, retryPolicy(config.retry));
  }

  describe(directory: string): string {
    return `sftp://${this.config.host}:${this.config.port ?? 22}${path.posix.resolve('/', directory)}`;
  }

  async list(directory: string, signal?: AbortSignal): Promise<DropEntry[] | undefined> {
    try {
      return await this.connection.run(
        `list ${directory}`,
        async (client) =>
          // Every entry, as a local drop folder lists it: what is not a regular file is listed with a refusal.
          (await client.list(directory)).map((entry) => {
            const kind = notRegularFile(entry.type);
            const refusals = [
              // SFTP sends names as UTF-8: one that is not arrives with U+FFFD, and no file has that name.
              ...(entry.name.includes('\uFFFD')
                ? ['its name is not UTF-8 (the server sent it garbled)']
                : []),
              ...(kind ? [`${kind}, not a file`] : []),
            ];
            return {
              name: entry.name,
              size: entry.size,
              mtimeMs: entry.modifyTime,
              ...(refusals.length > 0 ? { refusal: refusals.join('; ') } : {}),
            };
          }),
        signal,
      );
    } catch (error) {
      if (error instanceof TransportError && error.code === 'remote-not-found') return undefined;
      throw error;
    }
  }

  async fetch(directory: string, entry: DropEntry, signal?: AbortSignal): Promise<FetchedFile> {
    const remote = path.posix.join(directory, entry.name);
    // One level at a time: Node's recursive mkdir never returns under /proc.
    await makeDirectory(this.context.stagingDir);
    const own = await mkdtemp(path.join(this.context.stagingDir, 'download-'));
    const release = () => rm(own, { recursive: true, force: true });
    try {
      const downloaded = await this.connection.run(
        `download ${remote}`,
        (client) =>
          downloadToStaging(client, remote, {
            localName: entry.name,
            expectedSize: entry.size,
            targetDir: own,
            stagingDir: this.context.stagingDir,
            stallMs: this.config.timeoutMs ?? 20_000,
            maxBytes: this.config.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
          }),
        signal,
      );
      return { path: downloaded.path, sha256: downloaded.sha256, release };
    } catch (error) {
      await release();
      if (error instanceof TransportError && FILE_CODES.has(error.code)) {
        // Not the SFTP server's own (English) words, which the TransportError's message quotes.
        const reason =
          error.code === 'remote-not-found'
            ? '文件已不在服务器上（已被移走或删除），如仍需报送，请重新上传'
            : 'SFTP 服务器拒绝平台读取该文件（平台的登录账号没有读取权限，不是文件内容的问题），请联系平台运维人员';
        throw new FileDropFileError(
          error.code,
          `无法下载 ${this.describe(remote)}，未入库任何数据：${reason}`,
        );
      }
      throw error;
    }
  }

  exists(file: string): Promise<boolean> {
    // ssh2-sftp-client's `exists` is an lstat: a link (even a broken one) exists, and is never overwritten.
    return this.connection.run(`stat ${file}`, async (client) => (await client.exists(file)) !== false);
  }

  async stat(file: string): Promise<Pick<DropEntry, 'size' | 'mtimeMs'> | undefined> {
    try {
      return await this.connection.run(`stat ${file}`, async (client) => {
        // The entry itself: a file swapped for a link after the listing shows as changed. (The client has
        // `lstat` since v10; its type definitions do not say so.)
        const info = await (
          client as unknown as { lstat(file: string): Promise<SftpClient.FileStats> }
        ).lstat(file);
        return { size: info.size, mtimeMs: info.modifyTime };
      });
    } catch (error) {
      if (error instanceof TransportError && error.code === 'remote-not-found') return undefined;
      throw error;
    }
  }

  move(from: string, to: string, root: string): Promise<void> {
    return this.connection.run(`move ${from} to ${to}`, async (client) => {
      const target = path.posix.dirname(to);
      const below = directoriesBelow(path.posix, root, target);
      if (!below) {
        // Outside the drop directory: where the operator's configuration says (an absolute processedDir).
        if (!(await client.exists(target))) await client.mkdir(target, true);
      } else {
        // The server follows a link in `to` (OpenSSH does): each level is checked, and made one at a time.
        for (const directory of below) {
          let kind = await client.exists(directory);
          if (kind === false) {
            try {
              await client.mkdir(directory, false);
            } catch (error) {
              if ((await client.exists(directory)) === false) throw error; // else made meanwhile: checked below
            }
            kind = await client.exists(directory);
          }
          if (kind !== 'd') {
            throw new DropDirectoryError(
              `${path.posix.relative(root, target)}/ is not a real directory inside ${this.describe(root)}: ` +
                `${path.posix.relative(root, directory)} ${kind === 'l' ? 'is a symbolic link' : 'is not a directory'}; ` +
                'nothing was moved through it (a link there would file deliveries wherever it points): replace it with a real directory',
            );
          }
        }
      }
      await client.rename(from, to);
    });
  }

  linkBelow(root: string, directory: string): Promise<string | undefined> {
    return this.connection.run(`stat ${directory}`, async (client) => {
      for (const each of directoriesBelow(path.posix, root, directory) ?? []) {
        const kind = await client.exists(each);
        if (kind === false) return undefined;
        if (kind !== 'd')
          return `${path.posix.relative(root, each)} ${kind === 'l' ? 'is a symbolic link' : 'is not a directory'}`;
      }
      return undefined;
    });
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

/**
 * What a listed entry is when it is not a regular file, by the type the server's listing shows (the first letter of
 * its `ls -l` line, as OpenSSH writes it): a link (listed as a link with its own attributes, as OpenSSH does: its
 * target may be anywhere), a directory, a named pipe, a socket or a device. Each is listed with a refusal, as a local
 * drop folder lists them (local-drop-port.ts), so that one named like a delivery (`dir.csv`) is reported every run
 * rather than passed over unseen; never downloaded.
 */
function notRegularFile(type: string): string | undefined {
  switch (type) {
    case '-':
      return undefined;
    case 'l':
      return 'a symbolic link';
    case 'd':
      return 'a directory';
    case 'p':
      return 'a named pipe (FIFO)';
    case 's':
      return 'a socket';
    case 'c':
    case 'b':
      return 'a device';
    default:
      return 'of an unknown kind';
  }
}
