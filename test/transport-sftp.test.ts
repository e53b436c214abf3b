import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceUnit } from '../connectors/contracts.ts';
import { RetryableError, TransportError } from '../connectors/transports/retry-with-backoff.ts';
import { SftpTransport, sftpTransportFactory } from '../connectors/transports/sftp-transport.ts';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import { createLogger } from '../src/log/logger.ts';
import type { PipelineDefinition } from '../src/pipelines/pipeline-definition.ts';
import type { RunSummary } from '../src/run/ingest-files.ts';
import {
  ingestAll,
  PENALTY_HEADER,
  penaltyRows,
  pollAndIngest,
  transportContext,
} from './support/penalty-delivery.ts';
import { type SftpTestServer, sftpTransportConfig, startSftpServer } from './support/sftp-server.ts';
import { closeSftpWarehouse, openSftpWarehouse } from './support/sftp-warehouse.ts';
import { runPipelineOnce, testPipeline } from './support/test-pipeline.ts';
import { describeTransportContract } from './support/transport-contract.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const ENV = { SFTP_PASSWORD: 'pw-for-tests' };

/** A drop: the CSV, then (unless still being written) its `.done` marker. */
function drop(server: SftpTestServer, dir: string, name: string, rows: string[][], marker = true): string {
  mkdirSync(path.join(server.root, dir), { recursive: true });
  const file = path.join(server.root, dir, name);
  writeFileSync(file, toCsv(PENALTY_HEADER, rows));
  if (marker) writeFileSync(`${file}.done`, '');
  return file;
}

const csvFiles = (dir: string) =>
  existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.csv')) : [];

let drops = 0;
describeTransportContract({
  label: 'sftp',
  async open(fx) {
    const server = await startSftpServer();
    const dir = `drop${++drops}`;
    mkdirSync(path.join(server.root, dir));
    const transport = sftpTransportFactory.create(
      sftpTransportConfig(server, `/${dir}`),
      transportContext(fx, ENV),
    );
    return {
      transport,
      deliver: async (rows) => {
        drop(server, dir, `xzcf-${++drops}.csv`, rows);
      },
      deliverIncomplete: async (rows) => {
        const file = drop(server, dir, `xzcf-${++drops}.csv`, rows, false);
        return { finish: async () => writeFileSync(`${file}.done`, '') };
      },
      settled: async (outcome) =>
        csvFiles(path.join(server.root, dir, outcome === 'loaded' ? 'processed' : 'failed')),
      async close() {
        await transport.close();
        await server.close();
      },
    };
  },
});

describe('SFTP drops: failures', () => {
  let fx: WarehouseFixture;
  let server: SftpTestServer;
  beforeAll(async () => {
    fx = await openWarehouseFixture('sftp_failures');
    server = await startSftpServer();
  });
  afterAll(async () => {
    await server?.close();
    await fx?.close();
  });
  const staged = () => readdirSync(path.join(fx.scratch, 'staging'));

  it('a connection killed mid-transfer is retried; the half file is never ingested', async () => {
    const rows = penaltyRows(3000, 'kill');
    drop(server, 'kill', 'big.csv', rows);
    server.killTransfersAfter(300_000, 1);
    const before = server.connections();
    const transport = sftpTransportFactory.create(
      sftpTransportConfig(server, '/kill'),
      transportContext(fx, ENV),
    );
    const { units, summary } = await pollAndIngest(fx, transport);
    await transport.close();
    expect(server.connections() - before).toBeGreaterThanOrEqual(2);
    expect(units).toHaveLength(1);
    expect(units[0]?.sizeBytes).toBeGreaterThan(300_000);
    expect(summary?.counts).toMatchObject({ read: 3000, inserted: 3000 });
    expect(staged().filter((name) => name.startsWith('.partial'))).toEqual([]);
  });

  it('when every try is killed, nothing is yielded, nothing stays in staging, the remote file stays', async () => {
    drop(server, 'dying', 'big.csv', penaltyRows(3000, 'dying'));
    server.killTransfersAfter(100_000, 99);
    const transport = sftpTransportFactory.create(
      sftpTransportConfig(server, '/dying', { retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 50 } }),
      transportContext(fx, ENV),
    );
    await expect(pollAndIngest(fx, transport)).rejects.toThrow(RetryableError);
    server.killTransfersAfter(0, 0);
    await transport.close();
    expect(staged()).toEqual([]);
    expect(existsSync(path.join(server.root, 'dying', 'big.csv'))).toBe(true);
  });

  it('refuses a server whose host key is not the pinned one, without retrying', async () => {
    const before = server.connections();
    const wrong = `SHA256:${'A'.repeat(43)}`;
    const transport = sftpTransportFactory.create(
      sftpTransportConfig(server, '/kill', { hostKeySha256: wrong }),
      transportContext(fx, ENV),
    );
    const error = await pollAndIngest(fx, transport).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('host-key-mismatch');
    expect(server.connections() - before).toBe(1);
    await transport.close();
  });

  it('logs in with a private key read from a file named by an environment variable', async () => {
    const keyFile = path.join(fx.scratch, 'id_ed25519');
    writeFileSync(keyFile, server.clientPrivateKey, { mode: 0o600 });
    drop(server, 'keyed', 'a.csv', penaltyRows(2, 'key'));
    const transport = sftpTransportFactory.create(
      {
        ...sftpTransportConfig(server, '/keyed'),
        password: undefined,
        privateKey: { fileEnv: 'SFTP_KEY_FILE' },
      },
      transportContext(fx, { SFTP_KEY_FILE: keyFile }),
    );
    const { summary } = await pollAndIngest(fx, transport);
    expect(summary?.counts.inserted).toBe(2);
    await transport.close();
  });

  it('never uses hostile remote names as local paths', async () => {
    drop(server, 'hostile', 'good.csv', penaltyRows(1, 'hostile'));
    server.fakeNames.push('../../escape.csv', 'bad\u0001name.csv', '/etc/passwd.csv', '.hidden.csv');
    const transport = new SftpTransport(sftpTransportConfig(server, '/hostile'), transportContext(fx, ENV));
    try {
      const { units } = await pollAndIngest(fx, transport);
      expect(units.map((unit: SourceUnit) => unit.name)).toEqual(['good.csv']);
      // Refused and reported by the run; a hidden file is no delivery: not taken, not worth a report.
      expect(transport.refused.map((refusal) => refusal.remoteName).sort()).toEqual(
        ['../../escape.csv', '/etc/passwd.csv', 'bad\u0001name.csv'].sort(),
      );
      expect(existsSync(path.join(fx.scratch, 'escape.csv'))).toBe(false);
    } finally {
      server.fakeNames.length = 0;
      await transport.close();
    }
  });

  it('the same content under another name is not loaded again, and is kept with the processed files', async () => {
    const rows = penaltyRows(4, 'again');
    drop(server, 'again', 'first.csv', rows);
    const transport = sftpTransportFactory.create(
      sftpTransportConfig(server, '/again'),
      transportContext(fx, ENV),
    );
    expect((await pollAndIngest(fx, transport)).summary?.counts.inserted).toBe(4);
    drop(server, 'again', 'renamed-copy.csv', rows);
    // Listed in the run as skipped (pointing at the first load), then filed where loaded files go.
    const units: SourceUnit[] = [];
    for await (const unit of transport.poll({ alreadyLoaded: async () => true })) units.push(unit);
    const summary = await ingestAll(fx, units);
    expect(summary.files.map((file) => [file.name, file.status, file.sameContentAs?.name])).toEqual([
      ['renamed-copy.csv', 'skipped', 'first.csv'],
    ]);
    expect(summary.counts.inserted).toBe(0);
    for (const unit of units) await transport.settle(unit, 'loaded');
    expect(csvFiles(path.join(server.root, 'again', 'processed')).sort()).toEqual([
      'first.csv',
      'renamed-copy.csv',
    ]);
    await transport.close();
  });

  it('with stable-size completeness, leaves a file that is still growing', async () => {
    const file = drop(server, 'growing', 'upload.csv', penaltyRows(2, 'growing'), false);
    // A slow upload: the file keeps growing for as long as the poll runs.
    const writer = setInterval(() => appendFileSync(file, '\n'), 20);
    const transport = sftpTransportFactory.create(
      sftpTransportConfig(server, '/growing', { completeness: { stableForMs: 300 } }),
      transportContext(fx, ENV),
    );
    try {
      expect((await pollAndIngest(fx, transport)).units).toEqual([]);
    } finally {
      clearInterval(writer);
      await transport.close();
    }
  });

  it('with stable-size completeness, takes a file whose size did not change between two listings', async () => {
    drop(server, 'stable', 'quiet.csv', penaltyRows(2, 'stable'), false);
    const transport = sftpTransportFactory.create(
      sftpTransportConfig(server, '/stable', { completeness: { stableForMs: 50 } }),
      transportContext(fx, ENV),
    );
    expect((await pollAndIngest(fx, transport)).summary?.counts.inserted).toBe(2);
    await transport.close();
  });
});

describe('an SFTP drop holding a directory named like a delivery', () => {
  let fx: WarehouseFixture;
  let server: SftpTestServer;
  beforeAll(async () => {
    ({ fx, server } = await openSftpWarehouse('sftp_odd_entries'));
  });
  afterAll(() => closeSftpWarehouse({ fx, server }));

  function pipeline(glob?: string): PipelineDefinition {
    return testPipeline('sftp-odd', {
      ...sftpTransportConfig(server, '/odd', {
        completeness: { stableForMs: 20 },
        ...(glob ? { glob } : {}),
      }),
    });
  }

  const run = (glob?: string): Promise<RunSummary> =>
    runPipelineOnce(fx, pipeline(glob), createLogger({ console: false }));

  const refused = (summary: RunSummary) =>
    (summary.warnings ?? []).filter((w) => w.code === 'refused-file-name').map((w) => w.message);

  it('reports it every run as a local drop folder does, loads the other file, and leaves it where it is', async () => {
    const remote = path.join(server.root, 'odd');
    drop(server, 'odd', 'a.csv', penaltyRows(2, 'sftp-odd'), false);
    mkdirSync(path.join(remote, 'dir.csv'));
    mkdirSync(path.join(remote, 'notes')); // not named like a delivery: nothing to say
    const first = await run();
    expect(first.files.map((file) => [file.name, file.status])).toEqual([['a.csv', 'loaded']]);
    expect(first.status).toBe('completed'); // a warning, not a failure
    for (const summary of [first, await run()]) {
      const messages = refused(summary);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatch(
        /: "dir\.csv" is not taken \(a directory, not a file\): it stays where it is, and every run says so until it is removed or replaced by a regular file/,
      );
    }
    expect(readdirSync(remote).sort()).toEqual(['dir.csv', 'notes', 'processed']);
    expect(readdirSync(path.join(remote, 'processed'))).toEqual(['a.csv']);
    // A glob that takes every name: the drop's own processed/ is still never reported.
    const every = refused(await run('*'));
    expect(every.map((m) => m.match(/: (".*?") is not taken/)?.[1]).sort()).toEqual(['"dir.csv"', '"notes"']);
  });
});
