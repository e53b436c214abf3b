import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInfrastructureFault } from '../connectors/infrastructure-fault.ts';
import { FileDropFileError } from '../connectors/transports/file-drop/file-drop-port.ts';
import { retryPolicy, TransportError } from '../connectors/transports/retry-with-backoff.ts';
import { SFTP_CONFIG_SCHEMA } from '../connectors/transports/sftp-config.ts';
import { SftpConnection } from '../connectors/transports/sftp-connection.ts';
import { downloadToStaging } from '../connectors/transports/sftp-download.ts';
import { sftpTransportFactory } from '../connectors/transports/sftp-transport.ts';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import type { AlertEvent } from '../src/alerts/alert-event.ts';
import { createLogger } from '../src/log/logger.ts';
import type { PipelineDefinition } from '../src/pipelines/pipeline-definition.ts';
import { runPipeline } from '../src/pipelines/run-pipeline.ts';
import { PENALTY_HEADER, penaltyRows, pollAndIngest, transportContext } from './support/penalty-delivery.ts';
import { type SftpTestServer, sftpTransportConfig, startSftpServer } from './support/sftp-server.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const ENV = { SFTP_PASSWORD: 'pw-for-tests' };
const MiB = 1024 * 1024;

/** A delivery with its `.done` marker: a valid penalty CSV, or `bytes` of filler (never read: it fails first). */
function drop(server: SftpTestServer, dir: string, name: string, content: string | Buffer): string {
  mkdirSync(path.join(server.root, dir), { recursive: true });
  const file = path.join(server.root, dir, name);
  writeFileSync(file, content);
  writeFileSync(`${file}.done`, '');
  return file;
}

const filler = (bytes: number) => Buffer.alloc(bytes, 'x');
const list = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

/**
 * A 1 MiB tmpfs as the staging directory: a disk that really fills (ENOSPC), no fault injected. Mounting needs
 * root (CAP_SYS_ADMIN); where it is refused, the tests that need it are skipped, saying why.
 */
function mountTmpfs(): { dir: string; reason?: undefined } | { dir?: undefined; reason: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-full-staging-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'pipe' });
    return { dir };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return { reason: `mount -t tmpfs refused (${stderr || (error as Error).message})` };
  }
}

describe('SFTP drops: the download size limit (maxFileBytes)', () => {
  let fx: WarehouseFixture;
  let server: SftpTestServer;
  beforeAll(async () => {
    fx = await openWarehouseFixture('sftp_limits');
    server = await startSftpServer();
  });
  afterAll(async () => {
    await server?.close();
    await fx?.close();
  });

  it('is a setting of the sftp section, a positive number of bytes', () => {
    expect(SFTP_CONFIG_SCHEMA.properties.maxFileBytes).toEqual({ type: 'integer', minimum: 1 });
  });

  it('fails a file listed over the limit alone (file-too-large, to failed/), and the other files load', async () => {
    drop(server, 'huge', 'a-huge.csv', filler(64 * 1024));
    drop(server, 'huge', 'b-small.csv', toCsv(PENALTY_HEADER, penaltyRows(3, 'limit')));
    const transport = sftpTransportFactory.create(
      sftpTransportConfig(server, '/huge', { maxFileBytes: 32 * 1024 }),
      transportContext(fx, ENV),
    );
    const { summary } = await pollAndIngest(fx, transport);
    await transport.close();
    const [huge, small] = summary?.files ?? [];
    expect(small).toMatchObject({ name: 'b-small.csv', status: 'loaded' });
    expect(summary?.counts.inserted).toBe(3);
    expect(huge).toMatchObject({ name: 'a-huge.csv', status: 'failed', error: { code: 'file-too-large' } });
    // The provider's words: the file, its size and the limit.
    expect(huge?.error?.message).toContain('/huge/a-huge.csv');
    expect(huge?.error?.message).toContain('大小为 65536 字节（64 KiB）');
    expect(huge?.error?.message).toContain('上限 32768 字节（32 KiB）');
    expect(huge?.error?.message).toMatch(/未入库任何数据：请把数据拆分/);
    expect(list(path.join(server.root, 'huge', 'failed'))).toEqual(['a-huge.csv', 'a-huge.csv.done']);
    expect(list(path.join(server.root, 'huge', 'processed'))).toEqual(['b-small.csv', 'b-small.csv.done']);
    expect(list(path.join(fx.scratch, 'staging'))).toEqual([]);
  });

  it('is checked while streaming: a file larger than it was listed stops at the limit, nothing left behind', async () => {
    drop(server, 'grown', 'grown.csv', filler(600 * 1024));
    const target = mkdtempSync(path.join(fx.scratch, 'download-'));
    const before = server.connections();
    const connection = new SftpConnection(
      sftpTransportConfig(server, '/grown'),
      ENV,
      retryPolicy({ attempts: 4, baseDelayMs: 10, maxDelayMs: 50 }),
    );
    // Listed at 100 KiB (it grew since, or the server listed it wrong): the bytes that arrive are counted.
    const error = await connection
      .run('download /grown/grown.csv', (client) =>
        downloadToStaging(client, '/grown/grown.csv', {
          localName: 'grown.csv',
          expectedSize: 100 * 1024,
          targetDir: target,
          stagingDir: fx.scratch,
          stallMs: 5000,
          maxBytes: 256 * 1024,
        }),
      )
      .catch((caught: unknown) => caught);
    await connection.close();
    expect(error).toBeInstanceOf(FileDropFileError);
    expect(error).toMatchObject({ code: 'file-too-large' });
    expect((error as Error).message).toContain('上限 262144 字节（256 KiB）');
    expect((error as Error).message).toContain('列出时为 102400 字节（100 KiB）');
    // Not a connection fault: one connection, no retry.
    expect(server.connections() - before).toBe(1);
    expect(readdirSync(target)).toEqual([]);
  });
});

const tmpfs = mountTmpfs();

describe.skipIf(tmpfs.dir === undefined)(
  `SFTP drops: no room in the staging directory (a 1 MiB tmpfs${tmpfs.reason ? `; skipped: ${tmpfs.reason}` : ''})`,
  () => {
    const staging = tmpfs.dir as string;
    let fx: WarehouseFixture;
    let server: SftpTestServer;
    beforeAll(async () => {
      fx = await openWarehouseFixture('sftp_disk_full');
      server = await startSftpServer();
    });
    afterAll(async () => {
      await server?.close();
      await fx?.close();
      execFileSync('umount', [staging]);
      rmSync(staging, { recursive: true, force: true });
    });

    it('is this machine’s fault, named with the free space: not retried, not the file’s, nothing left', async () => {
      const remote = drop(server, 'full', 'big.csv', filler(3 * MiB));
      const before = server.connections();
      const transport = sftpTransportFactory.create(sftpTransportConfig(server, '/full'), {
        ...transportContext(fx, ENV),
        stagingDir: staging,
      });
      const error = await pollAndIngest(fx, transport).catch((caught: unknown) => caught);
      await transport.close();
      expect(error).toBeInstanceOf(TransportError);
      expect(error).toMatchObject({ code: 'staging-disk-full' });
      expect(isInfrastructureFault(error)).toBe(false);
      const message = (error as Error).message;
      expect(message).toContain('/full/big.csv (3145728 bytes (3 MiB))');
      expect(message).toContain(`the staging directory ${staging} has `);
      expect(message).toMatch(/has \d+ bytes \([\d.]+ [KM]iB\) free \(not downloaded: it cannot fit\)/);
      expect(message).toContain('Not a fault of the file or the network');
      // One connection: no retry of the "network"; the file stays, nowhere moved, nothing staged.
      expect(server.connections() - before).toBe(1);
      expect(existsSync(remote)).toBe(true);
      expect(existsSync(path.join(server.root, 'full', 'failed'))).toBe(false);
      expect(readdirSync(staging)).toEqual([]);
    });

    it('a scheduled run: the files before it load, the run fails at once (one attempt) with an alert', async () => {
      drop(server, 'nightly', 'a-small.csv', toCsv(PENALTY_HEADER, penaltyRows(2, 'nightly')));
      const big = drop(server, 'nightly', 'b-big.csv', filler(3 * MiB));
      const pipeline: PipelineDefinition = {
        name: 'sftp-full-staging',
        file: 'sftp-full-staging.json',
        catalog: 'xzcf',
        provider: '113700000000000000',
        level: 'province',
        encoding: 'auto',
        transport: { ...sftpTransportConfig(server, '/nightly') },
        fieldMapping: {},
        schedule: { enabled: false },
        thresholds: { maxRejectRate: 1, maxRejected: null },
        // Would be tried again at once if the full disk were taken for a network fault.
        retry: { attempts: 3, backoffSeconds: 0 },
        partition: { offsetDays: -1 },
        allowPilotCodes: false,
      };
      const alerts: AlertEvent[] = [];
      process.env.SFTP_PASSWORD = ENV.SFTP_PASSWORD; // the runner reads secrets from the process's environment
      try {
        const result = await runPipeline(
          fx.warehouse,
          fx.catalog,
          pipeline,
          { stagingDir: staging, alerts: { alert: async (event) => void alerts.push(event) } },
          createLogger({ console: false, logFile: path.join(fx.scratch, 'full-staging.log') }),
        );
        expect(result.status === 'ran' && result.summary.status).toBe('failed');
      } finally {
        delete process.env.SFTP_PASSWORD;
      }
      const runs = await fx.warehouse('runs').where({ pipeline: pipeline.name });
      expect(runs.map((run) => [run.status, run.attempts])).toEqual([['failed', 1]]);
      expect(runs[0].error).toContain('no room on this machine for /nightly/b-big.csv');
      expect(runs[0].error).not.toMatch(/network failed/);
      expect(alerts.map((event) => event.kind)).toEqual(['run-failed']);
      const files = await fx.warehouse('source_files').where({ run_id: runs[0].id }).select('name', 'status');
      expect(files).toEqual([{ name: 'a-small.csv', status: 'loaded' }]);
      expect(list(path.join(server.root, 'nightly', 'processed'))).toEqual([
        'a-small.csv',
        'a-small.csv.done',
      ]);
      expect(existsSync(big)).toBe(true);
      expect(existsSync(path.join(server.root, 'nightly', 'failed'))).toBe(false);
      expect(readdirSync(staging)).toEqual([]);
    });

    it('ENOSPC while writing (the disk filled under the download): the partial download is removed', async () => {
      drop(server, 'filling', 'big.csv', filler(3 * MiB));
      const target = mkdtempSync(path.join(staging, 'download-'));
      const before = server.connections();
      const connection = new SftpConnection(
        sftpTransportConfig(server, '/filling'),
        ENV,
        retryPolicy({ attempts: 4, baseDelayMs: 10, maxDelayMs: 50 }),
      );
      // Listed small enough to fit the free space at the start: the disk fills while it streams.
      const error = await connection
        .run('download /filling/big.csv', (client) =>
          downloadToStaging(client, '/filling/big.csv', {
            localName: 'big.csv',
            expectedSize: 64 * 1024,
            targetDir: target,
            stagingDir: staging,
            stallMs: 5000,
            maxBytes: 1024 * MiB,
          }),
        )
        .catch((caught: unknown) => caught);
      await connection.close();
      expect(error).toBeInstanceOf(TransportError);
      expect(error).toMatchObject({ code: 'staging-disk-full' });
      expect(isInfrastructureFault(error)).toBe(false);
      expect((error as Error).message).toMatch(/ENOSPC after \d+ bytes: .*the partial download was removed/);
      expect(server.connections() - before).toBe(1);
      expect(readdirSync(target)).toEqual([]);
      // The room is back: the free space the message named is the disk's, without the partial file.
      const { bavail, bsize } = statfsSync(staging);
      expect((error as Error).message).toContain(`has ${bavail * bsize} bytes`);
      rmSync(target, { recursive: true });
    });
  },
);
