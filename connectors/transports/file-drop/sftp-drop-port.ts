import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { TransportContext } from '../../contracts.ts';
import { retryPolicy, TransportError } from '../retry-with-backoff.ts';
import type { SftpTransportConfig } from '../sftp-config.ts';
import { SftpConnection } from '../sftp-connection.ts';
import { downloadToStaging } from '../sftp-download.ts';
import { type DropEntry, type FetchedFile, FileDropFileError, type FileDropPort } from './file-drop-port.ts';

/** Errors about one remote file, not the server: that file fails alone. */
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
          (await client.list(directory))
            .filter((entry) => entry.type === '-')
            .map((entry) => ({ name: entry.name, size: entry.size, mtimeMs: entry.modifyTime })),
        signal,
      );
    } catch (error) {
      if (error instanceof TransportError && error.code === 'remote-not-found') return undefined;
      throw error;
    }
  }

  async fetch(directory: string, entry: DropEntry, signal?: AbortSignal): Promise<FetchedFile> {
    const remote = path.posix.join(directory, entry.name);
    await mkdir(this.context.stagingDir, { recursive: true });
    const own = await mkdtemp(path.join(this.context.stagingDir, 'download-'));
    const release = () => rm(own, { recursive: true, force: true });
    try {
      const downloaded = await this.connection.run(
        `download ${remote}`,
        (client) =>
          downloadToStaging(client, remote, entry.name, entry.size, own, this.config.timeoutMs ?? 20_000),
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
            : '没有读取权限，请检查该文件在服务器上的访问权限后重新上传';
        throw new FileDropFileError(
          error.code,
          `无法下载 ${this.describe(remote)}，未入库任何数据：${reason}`,
        );
      }
      throw error;
    }
  }

  exists(file: string): Promise<boolean> {
    return this.connection.run(`stat ${file}`, async (client) => (await client.exists(file)) !== false);
  }

  async stat(file: string): Promise<Pick<DropEntry, 'size' | 'mtimeMs'> | undefined> {
    try {
      return await this.connection.run(`stat ${file}`, async (client) => {
        const info = await client.stat(file);
        return { size: info.size, mtimeMs: info.modifyTime };
      });
    } catch (error) {
      if (error instanceof TransportError && error.code === 'remote-not-found') return undefined;
      throw error;
    }
  }

  move(from: string, to: string): Promise<void> {
    return this.connection.run(`move ${from} to ${to}`, async (client) => {
      const dir = path.posix.dirname(to);
      if (!(await client.exists(dir))) await client.mkdir(dir, true);
      await client.rename(from, to);
    });
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
