import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceUnit, Transport } from '../connectors/contracts.ts';
import { dropFolderTransport } from '../connectors/transports/drop-folder.ts';
import { localFileUnit } from '../connectors/transports/local-file.ts';
import { sftpTransportFactory } from '../connectors/transports/sftp-transport.ts';
import { writeZip } from '../connectors/transports/zip-fixture.test-support.ts';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import { createLogger } from '../src/log/logger.ts';
import { partitionDay } from '../src/pipelines/partition-day.ts';
import { DEFAULT_PARTITION, type PipelineDefinition } from '../src/pipelines/pipeline-definition.ts';
import { ingestUnits, type RunSummary } from '../src/run/ingest-files.ts';
import { PENALTY_HEADER, penaltyRows, pollAndIngest, transportContext } from './support/penalty-delivery.ts';
import { runCli } from './support/run-cli.ts';
import { type SftpTestServer, sftpTransportConfig, startSftpServer } from './support/sftp-server.ts';
import { closeSftpWarehouse, openSftpWarehouse } from './support/sftp-warehouse.ts';
import { runPipelineOnce, testPipeline } from './support/test-pipeline.ts';
import { describeTransportContract } from './support/transport-contract.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const ENV = { SFTP_PASSWORD: 'pw-for-tests' };
const penaltyCsv = (count: number, tag: string) => toCsv(PENALTY_HEADER, penaltyRows(count, tag));
const listed = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

let drops = 0;
describeTransportContract({
  label: 'drop_folder',
  async open(fx) {
    const dir = path.join(fx.scratch, `contract-${++drops}`);
    mkdirSync(dir);
    const transport = dropFolderTransport.create({ directory: dir }, transportContext(fx));
    const write = (rows: string[][]) => {
      const file = path.join(dir, `xzcf-${++drops}.csv`);
      writeFileSync(file, toCsv(PENALTY_HEADER, rows));
      return file;
    };
    return {
      transport,
      deliver: async (rows) => writeFileSync(`${write(rows)}.ok`, ''),
      deliverIncomplete: async (rows) => {
        const file = write(rows);
        return { finish: async () => writeFileSync(`${file}.ok`, '') };
      },
      settled: async (outcome) =>
        listed(path.join(dir, outcome === 'loaded' ? 'processed' : 'failed')).filter((name) =>
          name.endsWith('.csv'),
        ),
      close: () => transport.close(),
    };
  },
});

/** One file drop as a test sees it: a local directory to deliver into, and the transport that watches it. */
interface Drop {
  /** Where deliveries are written (an SFTP server's files are on this machine too). */
  dir: string;
  transport: Transport;
}

describe.each(['drop-folder', 'sftp'] as const)('the %s adapter of the file drop', (adapter) => {
  let fx: WarehouseFixture;
  let server: SftpTestServer;
  beforeAll(async () => {
    fx = await openWarehouseFixture(`file_drop_${adapter.replace('-', '_')}`);
    server = await startSftpServer();
  });
  afterAll(async () => {
    await server?.close();
    await fx?.close();
  });

  /** A fresh drop directory watched by this adapter: `.done` markers, CSV and zip deliveries. */
  function openDrop(name: string): Drop {
    if (adapter === 'drop-folder') {
      const dir = path.join(fx.scratch, name);
      mkdirSync(dir);
      return { dir, transport: dropFolderTransport.create({ directory: dir }, transportContext(fx)) };
    }
    const dir = path.join(server.root, name);
    mkdirSync(dir);
    const config = sftpTransportConfig(server, `/${name}`, { glob: '*.{csv,zip}' });
    return { dir, transport: sftpTransportFactory.create(config, transportContext(fx, ENV)) };
  }

  const deliver = (drop: Drop, name: string, content: string | Buffer) => {
    writeFileSync(path.join(drop.dir, name), content);
    writeFileSync(path.join(drop.dir, `${name}.done`), '');
  };

  it('loads each entry of a zip as its own unit and files the archive with its marker', async () => {
    const drop = openDrop('zipped');
    await writeZip(path.join(drop.dir, 'batch.zip'), {
      'a.csv': penaltyCsv(3, `${adapter}-zip-a`),
      'b.csv': penaltyCsv(4, `${adapter}-zip-b`),
    });
    writeFileSync(path.join(drop.dir, 'batch.zip.done'), '');
    const { units, summary } = await pollAndIngest(fx, drop.transport);
    await drop.transport.close();
    expect(units.map((unit) => unit.name)).toEqual(['batch.zip!a.csv', 'batch.zip!b.csv']);
    expect(summary?.files.map((file) => file.status)).toEqual(['loaded', 'loaded']);
    expect(summary?.counts).toMatchObject({ read: 7, inserted: 7 });
    expect(listed(path.join(drop.dir, 'processed'))).toEqual(['batch.zip', 'batch.zip.done']);
  });

  it('refuses a zip entry whose name climbs out, loads the others, and files the archive as failed', async () => {
    const drop = openDrop('unsafe');
    await writeZip(path.join(drop.dir, 'mixed.zip'), {
      'good.csv': penaltyCsv(2, `${adapter}-unsafe`),
      '../evil.csv': penaltyCsv(1, `${adapter}-evil`),
    });
    writeFileSync(path.join(drop.dir, 'mixed.zip.done'), '');
    const { summary } = await pollAndIngest(fx, drop.transport);
    await drop.transport.close();
    expect(summary?.files.map((file) => [file.name, file.status, file.error?.code])).toEqual([
      ['mixed.zip!good.csv', 'loaded', undefined],
      ['mixed.zip!../evil.csv', 'failed', 'unsafe-archive-entry'],
    ]);
    expect(summary?.counts.inserted).toBe(2);
    expect(listed(path.join(drop.dir, 'failed'))).toEqual(['mixed.zip', 'mixed.zip.done']);
    expect(existsSync(path.join(drop.dir, '..', 'evil.csv'))).toBe(false);
  });

  it('files a re-delivery under a free name beside the earlier one, never overwriting it', async () => {
    const drop = openDrop('again');
    deliver(drop, 'daily.csv', penaltyCsv(2, `${adapter}-day1`));
    expect((await pollAndIngest(fx, drop.transport)).summary?.counts.inserted).toBe(2);
    deliver(drop, 'daily.csv', penaltyCsv(3, `${adapter}-day2`));
    expect((await pollAndIngest(fx, drop.transport)).summary?.counts.inserted).toBe(3);
    await drop.transport.close();
    expect(listed(path.join(drop.dir, 'processed'))).toEqual([
      'daily.2.csv',
      'daily.csv',
      'daily.csv.2.done',
      'daily.csv.done',
    ]);
  });

  it('reads the day folder `{date}` names, finds nothing for a day without one, and says where it looks', async () => {
    const name = 'dated';
    const drop = openDrop(name);
    mkdirSync(path.join(drop.dir, '2026-10-02'));
    deliver(
      { ...drop, dir: path.join(drop.dir, '2026-10-02') },
      'day.csv',
      penaltyCsv(1, `${adapter}-dated`),
    );
    const transport =
      adapter === 'drop-folder'
        ? dropFolderTransport.create({ directory: path.join(drop.dir, '{date}') }, transportContext(fx))
        : sftpTransportFactory.create(
            sftpTransportConfig(server, `/${name}/{date}`),
            transportContext(fx, ENV),
          );
    const names = async (partition: string) => {
      const found: string[] = [];
      for await (const unit of transport.poll({ partition, alreadyLoaded: async () => false }))
        found.push(unit.name);
      return found;
    };
    expect(await names('2026-10-02')).toEqual(['day.csv']);
    expect(await names('2026-10-03')).toEqual([]);
    expect(transport.describe?.('2026-10-03')).toBe(
      adapter === 'drop-folder'
        ? path.join(drop.dir, '2026-10-03')
        : `sftp://127.0.0.1:${server.port}/${name}/2026-10-03`,
    );
    await transport.close();
    await drop.transport.close();
  });
});

describe('SFTP polls stream into the run', () => {
  let fx: WarehouseFixture;
  let server: SftpTestServer;
  const logger = createLogger({ console: false });
  beforeAll(async () => {
    ({ fx, server } = await openSftpWarehouse('file_drop_streaming'));
  });
  afterAll(() => closeSftpWarehouse({ fx, server }));

  /** A pipeline over `/<dir>` on the test server, as a pipeline file would declare it. */
  function sftpPipeline(dir: string): PipelineDefinition {
    return testPipeline(
      `sftp-${dir}`,
      { ...sftpTransportConfig(server, `/${dir}`) },
      {
        thresholds: { maxRejectRate: 0.9, maxRejected: null },
      },
    );
  }

  function deliver(dir: string, name: string, csv: string): void {
    mkdirSync(path.join(server.root, dir), { recursive: true });
    writeFileSync(path.join(server.root, dir, name), csv);
    writeFileSync(path.join(server.root, dir, `${name}.done`), '');
  }

  /** Every file under the staging directory (each download has a folder of its own). */
  const stagedFiles = (staging: string) =>
    existsSync(staging)
      ? readdirSync(staging, { recursive: true, withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => entry.name)
          .sort()
      : [];

  const run = (dir: string, staging: string, onUnitStart?: (name: string) => void): Promise<RunSummary> =>
    runPipelineOnce(fx, sftpPipeline(dir), logger, {
      stagingDir: staging,
      onUnitStart: (unit) => onUnitStart?.(unit.name),
    });

  it('with five files waiting, downloads each only when the run gets to it and deletes it once settled', async () => {
    for (let i = 1; i <= 5; i++) deliver('backlog', `f${i}.csv`, penaltyCsv(3, `backlog-${i}`));
    const staging = path.join(fx.scratch, 'staging-backlog');
    const seen: [unit: string, staged: string[]][] = [];
    const summary = await run('backlog', staging, (name) => seen.push([name, stagedFiles(staging)]));
    expect(summary.status).toBe('completed');
    expect(summary.counts).toMatchObject({ read: 15, inserted: 15 });
    // While a unit starts loading, its own download is the only file staged.
    expect(seen).toEqual([1, 2, 3, 4, 5].map((i) => [`f${i}.csv`, [`f${i}.csv`]]));
    expect(stagedFiles(staging)).toEqual([]);
    expect(
      listed(path.join(server.root, 'backlog', 'processed')).filter((n) => n.endsWith('.csv')),
    ).toHaveLength(5);
  });

  it('a file whose download the server refuses is not read, recorded against no one, and the others load', async () => {
    deliver('denied', 'a.csv', penaltyCsv(2, 'denied-a'));
    deliver('denied', 'b.csv', penaltyCsv(2, 'denied-b'));
    deliver('denied', 'c.csv', penaltyCsv(2, 'denied-c'));
    server.deniedNames.push('b.csv');
    try {
      const summary = await run('denied', path.join(fx.scratch, 'staging-denied'));
      expect(summary.files.map((file) => [file.name, file.status, file.error?.code])).toEqual([
        ['a.csv', 'loaded', undefined],
        ['c.csv', 'loaded', undefined],
      ]);
      expect(summary.counts.inserted).toBe(4);
      // The platform's login may not read it: the run fails naming it (pipeline-sftp-permission-denied.test.ts).
      expect(summary.status).toBe('failed');
      expect(summary.unsettled).toEqual([
        expect.stringMatching(/^b\.csv: not read \[remote-permission-denied\]/),
      ]);
      expect(await fx.warehouse('source_files').where({ run_id: summary.runId, name: 'b.csv' })).toEqual([]);
      expect(listed(path.join(server.root, 'denied'))).toEqual(['b.csv', 'b.csv.done', 'processed']);
    } finally {
      server.deniedNames.length = 0;
    }
  });
});

describe('credit-etl run with nothing to load', () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('file_drop_cli');
  });
  afterAll(async () => fx?.close());

  it('names the folder it looked in', async () => {
    const pipelines = path.join(fx.scratch, 'pipelines');
    mkdirSync(pipelines);
    const inbox = path.join(fx.scratch, 'inbox');
    writeFileSync(
      path.join(pipelines, 'quiet.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370000MB2852362M',
        level: 'province',
        transport: { type: 'drop-folder', directory: path.join(inbox, '{date}') },
      }),
    );
    const result = await runCli(['run', 'quiet'], {
      DATABASE_URL: fx.url,
      CREDIT_ETL_PIPELINES_DIR: pipelines,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: fx.scratch,
      CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, 'staging'),
    });
    expect(result.code, result.stderr).toBe(0);
    // A plain run's partition day is yesterday in Shanghai by default.
    const day = partitionDay(DEFAULT_PARTITION, new Date());
    expect(result.stdout).toContain(`nothing to load in ${path.join(inbox, day)}`);
  });
});

describe('a poll that breaks off mid-run', () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('file_drop_broken_poll');
  });
  afterAll(async () => fx?.close());

  it('keeps the units loaded so far, ends the run failed with the reason, and passes the error on', async () => {
    const file = path.join(fx.scratch, 'first.csv');
    writeFileSync(file, penaltyCsv(2, 'broken-poll'));
    async function* poll(): AsyncGenerator<SourceUnit> {
      yield await localFileUnit(file);
      throw new Error('connection refused');
    }
    const loaded: string[] = [];
    const logger = createLogger({ console: false });
    const request = {
      catalog: 'xzcf',
      providerCode: '11370000MB2852362M',
      level: 'province',
      encoding: 'auto',
    } as const;
    await expect(
      ingestUnits(
        fx.warehouse,
        fx.catalog,
        { ...request, units: poll(), onUnitDone: async (unit) => void loaded.push(unit.name) },
        logger,
      ),
    ).rejects.toThrow('connection refused');
    expect(loaded).toEqual(['first.csv']);
    const run = await fx.warehouse('runs').orderBy('id', 'desc').first();
    expect(run).toMatchObject({ status: 'failed', error: 'transport: connection refused' });
    expect(run.counts.inserted).toBe(2);
  });
});
