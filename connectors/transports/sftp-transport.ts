import { createReadStream, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import picomatch from 'picomatch';
import type SftpClient from 'ssh2-sftp-client';
import type { PollOptions, SourceUnit, Transport, TransportContext, TransportFactory } from '../contracts.ts';
import { retryPolicy } from './retry-with-backoff.ts';
import { UnsafeNameError, unsafeNameReason } from './safe-remote-name.ts';
import { SFTP_CONFIG_SCHEMA, type SftpTransportConfig } from './sftp-config.ts';
import { SftpConnection } from './sftp-connection.ts';
import { downloadToStaging } from './sftp-download.ts';

interface RemoteFile {
  name: string;
  size: number;
  modifyTime: number;
}

/** SFTP drops (数据文件): complete files are downloaded to staging, loaded, then moved to processed/ or failed/. */
export const sftpTransportFactory: TransportFactory<SftpTransportConfig> = {
  type: 'sftp',
  configSchema: SFTP_CONFIG_SCHEMA,
  create: (config, context) => new SftpTransport(config, context),
};

export class SftpTransport implements Transport {
  readonly type = 'sftp';
  /** Remote names refused as unsafe in the last poll (never downloaded). */
  readonly refused: UnsafeNameError[] = [];
  private readonly connection: SftpConnection;
  private readonly matches: (name: string) => boolean;
  private readonly remoteOf = new Map<SourceUnit, string>();

  constructor(
    private readonly config: SftpTransportConfig,
    private readonly context: TransportContext,
  ) {
    this.connection = new SftpConnection(config, context.env, retryPolicy(config.retry));
    this.matches = picomatch(config.glob ?? '*.csv', { dot: false });
  }

  async *poll(options: PollOptions): AsyncIterable<SourceUnit> {
    mkdirSync(this.context.stagingDir, { recursive: true });
    this.refused.length = 0;
    for (const file of await this.completeFiles(options.signal)) {
      const remote = path.posix.join(this.config.remoteDir, file.name);
      const downloaded = await this.connection.run(
        `download ${remote}`,
        (client) =>
          downloadToStaging(
            client,
            remote,
            file.name,
            file.size,
            this.context.stagingDir,
            this.config.timeoutMs ?? 20_000,
          ),
        options.signal,
      );
      const unit: SourceUnit = {
        name: file.name,
        path: downloaded.path,
        sizeBytes: downloaded.sizeBytes,
        sha256: downloaded.sha256,
        // The drop's time on the platform's own server: when the delivery reached the platform (Art. 10).
        receivedAt: new Date(file.modifyTime),
        open: () => createReadStream(downloaded.path, { highWaterMark: 256 * 1024 }),
      };
      this.remoteOf.set(unit, file.name);
      if (await options.alreadyLoaded(downloaded.sha256)) {
        // The same content was loaded before (under any name): not again; keep the file with the processed ones.
        await this.settle(unit, 'loaded');
        continue;
      }
      yield unit;
    }
  }

  async settle(unit: SourceUnit, outcome: 'loaded' | 'failed'): Promise<void> {
    const name = this.remoteOf.get(unit);
    if (name === undefined) return;
    const target =
      outcome === 'loaded' ? (this.config.processedDir ?? 'processed') : (this.config.failedDir ?? 'failed');
    const targetDir = path.posix.resolve(this.config.remoteDir, target);
    const completeness = this.config.completeness;
    const marker = completeness && 'marker' in completeness ? completeness.marker : undefined;
    await this.connection.run(`move ${name} to ${targetDir}`, async (client) => {
      if (!(await client.exists(targetDir))) await client.mkdir(targetDir, true);
      await moveAside(client, this.config.remoteDir, name, targetDir);
      if (marker && (await client.exists(path.posix.join(this.config.remoteDir, name + marker)))) {
        await moveAside(client, this.config.remoteDir, name + marker, targetDir);
      }
    });
    this.remoteOf.delete(unit);
    if (unit.path) await rm(unit.path, { force: true });
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /** Files matching the glob, with safe names, that are complete by marker or by a stable size. */
  private async completeFiles(signal: AbortSignal | undefined): Promise<RemoteFile[]> {
    const listing = await this.list(signal);
    const completeness = this.config.completeness ?? { stableForMs: 10_000 };
    const candidates = listing.filter((file) => {
      // Checked before the glob: a hostile name is reported even when it would not match.
      const reason = unsafeNameReason(file.name);
      if (reason) this.refused.push(new UnsafeNameError(file.name, reason));
      return reason === undefined && this.matches(file.name);
    });
    if ('marker' in completeness) {
      const names = new Set(listing.map((file) => file.name));
      return candidates.filter((file) => names.has(file.name + completeness.marker));
    }
    await sleep(completeness.stableForMs, undefined, signal ? { signal } : {});
    const again = new Map((await this.list(signal)).map((file) => [file.name, file]));
    return candidates.filter((file) => {
      const later = again.get(file.name);
      return later !== undefined && later.size === file.size && later.modifyTime === file.modifyTime;
    });
  }

  private list(signal: AbortSignal | undefined): Promise<RemoteFile[]> {
    return this.connection.run(
      `list ${this.config.remoteDir}`,
      async (client) =>
        (await client.list(this.config.remoteDir))
          .filter((entry) => entry.type === '-')
          .map((entry) => ({ name: entry.name, size: entry.size, modifyTime: entry.modifyTime })),
      signal,
    );
  }
}

/** Renames into `targetDir`; an existing file of that name there is kept and the newcomer gets a time suffix. */
async function moveAside(client: SftpClient, dir: string, name: string, targetDir: string): Promise<void> {
  let target = path.posix.join(targetDir, name);
  if (await client.exists(target)) target = `${target}.${new Date().toISOString().replace(/[:.]/g, '')}`;
  await client.rename(path.posix.join(dir, name), target);
}
