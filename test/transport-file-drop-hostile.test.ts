import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SourceUnit, TransportContext } from '../connectors/contracts.ts';
import type { DropEntry } from '../connectors/transports/file-drop/file-drop-port.ts';
import {
  type FileDropSettings,
  FileDropTransport,
} from '../connectors/transports/file-drop/file-drop-transport.ts';
import { LocalDropPort } from '../connectors/transports/file-drop/local-drop-port.ts';
import { SftpDropPort } from '../connectors/transports/file-drop/sftp-drop-port.ts';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import { createLogger } from '../src/log/logger.ts';
import type { PipelineDefinition } from '../src/pipelines/pipeline-definition.ts';
import type { RunSummary } from '../src/run/ingest-files.ts';
import { ingestAll, PENALTY_HEADER, penaltyRows, transportContext } from './support/penalty-delivery.ts';
import { runCli } from './support/run-cli.ts';
import { type SftpTestServer, sftpTransportConfig, startSftpServer } from './support/sftp-server.ts';
import { closeSftpWarehouse, openSftpWarehouse } from './support/sftp-warehouse.ts';
import { runPipelineOnce, testPipeline } from './support/test-pipeline.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const ENV = { SFTP_PASSWORD: 'pw-for-tests' };
const penaltyCsv = (count: number, tag: string) => toCsv(PENALTY_HEADER, penaltyRows(count, tag));
const listed = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
const logger = createLogger({ console: false });
/** Short stable-size windows: the tests control every write, so they need no margin for a real uploader. */
const STABLE_MS = 50;

/** Calls `hook` once, the first time the poll lists the folder (between the two listings of the stability check). */
function onFirstList<T extends LocalDropPort | SftpDropPort>(port: T, hook: () => void): T {
  const list = port.list.bind(port);
  let calls = 0;
  port.list = async (directory: string, signal?: AbortSignal): Promise<DropEntry[] | undefined> => {
    const listing = await list(directory, signal);
    if (++calls === 1) hook();
    return listing;
  };
  return port;
}

/** Calls `hook` once a file has been fetched (a local file's bytes are then hashed and loaded in place). */
function afterFetch<T extends LocalDropPort | SftpDropPort>(port: T, hook: () => void): T {
  const fetch = port.fetch.bind(port);
  let calls = 0;
  port.fetch = async (...args: Parameters<T['fetch']>) => {
    const fetched = await fetch(...(args as [string, DropEntry, AbortSignal?]));
    if (++calls === 1) hook();
    return fetched;
  };
  return port;
}

describe.each(['drop-folder', 'sftp'] as const)('the %s adapter against a hostile world', (adapter) => {
  let fx: WarehouseFixture;
  let server: SftpTestServer;
  let context: TransportContext;
  let dirs = 0;
  beforeAll(async () => {
    ({ fx, server } = await openSftpWarehouse(`drop_hostile_${adapter.replace('-', '_')}`));
    context = transportContext(fx, ENV);
  });
  afterAll(() => closeSftpWarehouse({ fx, server }));

  /** A fresh drop directory on this machine (local, or the SFTP server's root) and its remote name. */
  function freshDir(name: string): { dir: string; remote: string } {
    const remote = `${name}-${++dirs}`;
    const dir = adapter === 'drop-folder' ? path.join(fx.scratch, remote) : path.join(server.root, remote);
    mkdirSync(dir);
    return { dir, remote };
  }

  function port(): LocalDropPort | SftpDropPort {
    return adapter === 'drop-folder'
      ? new LocalDropPort()
      : new SftpDropPort(sftpTransportConfig(server, '/unused'), context);
  }

  function transportOver(dir: string, remote: string, drop: LocalDropPort | SftpDropPort): FileDropTransport {
    const settings: FileDropSettings = {
      directory: adapter === 'drop-folder' ? dir : `/${remote}`,
      glob: '*.csv',
      markerSuffixes: ['.done'],
      stableMs: STABLE_MS,
      processedDir: 'processed',
      failedDir: 'failed',
    };
    return new FileDropTransport(adapter, drop, settings);
  }

  function pipeline(dir: string, remote: string): PipelineDefinition {
    const transport =
      adapter === 'drop-folder'
        ? { type: 'drop-folder', directory: dir, stableSizeMs: STABLE_MS }
        : sftpTransportConfig(server, `/${remote}`, {
            completeness: { marker: '.done', stableForMs: STABLE_MS },
          });
    return testPipeline(`hostile-${remote}`, { ...transport });
  }

  const run = (dir: string, remote: string): Promise<RunSummary> =>
    runPipelineOnce(fx, pipeline(dir, remote), logger);

  const deliver = (dir: string, name: string, content: string) => {
    writeFileSync(path.join(dir, name), content);
    writeFileSync(path.join(dir, `${name}.done`), '');
  };
  const statuses = (summary: RunSummary) => summary.files.map((file) => [file.name, file.status]);

  it('a spreadsheet in a format that cannot be read fails by name with what to do, instead of waiting unseen', async () => {
    const { dir, remote } = freshDir('legacy');
    deliver(dir, 'a.csv', penaltyCsv(2, `${adapter}-legacy`));
    // An Excel 97-2003 workbook begins with the compound-file signature; a WPS .et is the same kind of file.
    const compoundFile = Buffer.from('d0cf11e0a1b11ae1', 'hex').toString('latin1');
    deliver(dir, '处罚.XLS', compoundFile);
    deliver(dir, 'b.et', compoundFile);
    const summary = await run(dir, remote);
    expect(statuses(summary)).toEqual([
      ['a.csv', 'loaded'],
      ['b.et', 'failed'],
      ['处罚.XLS', 'failed'],
    ]);
    const failures = summary.files.filter((file) => file.status === 'failed').map((file) => file.error);
    for (const failure of failures) {
      expect(failure?.code).toBe('unsupported-format');
      expect(failure?.message).toMatch(/无法直接读取：请在 Excel 或 WPS 中另存为 \.xlsx 工作簿或 CSV/);
    }
    expect(failures[0]?.message).toContain('b.et 是WPS 表格文件');
    expect(listed(path.join(dir, 'failed'))).toEqual(['b.et', 'b.et.done', '处罚.XLS', '处罚.XLS.done']);
  });

  it('a loaded file that cannot be moved does not keep later deliveries from loading', async () => {
    const { dir, remote } = freshDir('unmovable');
    deliver(dir, 'a1.csv', penaltyCsv(2, `${adapter}-unmovable-1`));
    deliver(dir, 'a2.csv', penaltyCsv(2, `${adapter}-unmovable-2`));
    writeFileSync(path.join(dir, 'processed'), 'not a folder');
    const first = await run(dir, remote);
    expect(first.status).toBe('failed'); // loaded, but left where they were: the operator must look
    expect(statuses(first)).toEqual([
      ['a1.csv', 'loaded'],
      ['a2.csv', 'loaded'],
    ]);
    deliver(dir, 'a3.csv', penaltyCsv(3, `${adapter}-unmovable-3`));
    const second = await run(dir, remote);
    // The two it cannot move are skipped by the ledger (and fail to settle again); the new one loads.
    expect(statuses(second)).toEqual([
      ['a1.csv', 'skipped'],
      ['a2.csv', 'skipped'],
      ['a3.csv', 'loaded'],
    ]);
    expect(second.counts.inserted).toBe(3);
    expect(second.status).toBe('failed');
  });

  it('with a marker, a file still growing between the two listings is not taken until it holds still', async () => {
    const { dir, remote } = freshDir('growing');
    const full = penaltyCsv(40, `${adapter}-growing`);
    const half = Math.floor(full.length / 2);
    const file = path.join(dir, 'up.csv');
    writeFileSync(file, full.slice(0, half));
    writeFileSync(`${file}.done`, ''); // touched too early, by a careless uploader
    const later = Date.now() / 1000 + 60;
    utimesSync(`${file}.done`, later, later); // dated after the file: only the stable-size check can tell
    // The writer goes on while the poll waits between its two listings.
    const transport = transportOver(
      dir,
      remote,
      onFirstList(port(), () => appendFileSync(file, full.slice(half))),
    );
    const units: SourceUnit[] = [];
    for await (const unit of transport.poll({ alreadyLoaded: async () => false })) units.push(unit);
    expect(units).toEqual([]);
    const again: SourceUnit[] = [];
    for await (const unit of transport.poll({ alreadyLoaded: async () => false })) again.push(unit);
    expect(again.map((unit) => unit.name)).toEqual(['up.csv']);
    await transport.close();
  });

  it('a file written after its marker is not complete until a newer marker says so', async () => {
    const { dir, remote } = freshDir('stale-marker');
    const file = path.join(dir, 'late.csv');
    writeFileSync(file, penaltyCsv(3, `${adapter}-stale`));
    writeFileSync(`${file}.done`, '');
    const seconds = Math.floor(Date.now() / 1000);
    utimesSync(`${file}.done`, seconds - 60, seconds - 60); // the marker of an earlier delivery of that name
    utimesSync(file, seconds - 10, seconds - 10);
    const transport = transportOver(dir, remote, port());
    const units: SourceUnit[] = [];
    for await (const unit of transport.poll({ alreadyLoaded: async () => false })) units.push(unit);
    expect(units).toEqual([]);
    utimesSync(`${file}.done`, seconds, seconds);
    for await (const unit of transport.poll({ alreadyLoaded: async () => false })) units.push(unit);
    expect(units.map((unit) => unit.name)).toEqual(['late.csv']);
    await transport.close();
  });

  it('a file that changes while it is read is not loaded, not blamed on the provider, and stays for the next poll', async () => {
    const { dir, remote } = freshDir('changed');
    const full = penaltyCsv(30, `${adapter}-changed`);
    const half = Math.floor(full.length / 2);
    const file = path.join(dir, 'cut.csv');
    writeFileSync(file, full.slice(0, half));
    writeFileSync(`${file}.done`, '');
    // The writer paused longer than the window, then goes on just as the file is being read.
    const transport = transportOver(
      dir,
      remote,
      afterFetch(port(), () => appendFileSync(file, full.slice(half))),
    );
    const units: SourceUnit[] = [];
    for await (const unit of transport.poll({ alreadyLoaded: async () => false })) units.push(unit);
    expect(units.map((unit) => unit.name)).toEqual(['cut.csv']);
    // An infrastructure-like fault: the run's attempt ends, nothing is recorded against the file.
    await expect(ingestAll(fx, units)).rejects.toThrow(/cut\.csv changed while it was loading/);
    const recorded = await fx.warehouse('source_files').where({ name: 'cut.csv' }).count({ n: '*' });
    expect(Number(recorded[0]?.n)).toBe(0);
    await transport.close();
    expect(listed(dir)).toEqual(['cut.csv', 'cut.csv.done']);
    writeFileSync(`${file}.done`, ''); // the writer done, its marker now says so
    // Finished now: the next run loads every row.
    const summary = await run(dir, remote);
    expect(statuses(summary)).toEqual([['cut.csv', 'loaded']]);
    expect(summary.counts).toMatchObject({ read: 30, inserted: 30, rejected: 0 });
    expect(readFileSync(path.join(dir, 'processed', 'cut.csv'), 'utf8')).toBe(full);
  });

  it('a file written again between its poll and its load is not loaded as read, and loads whole on the next poll', async () => {
    const { dir, remote } = freshDir('between');
    const full = penaltyCsv(30, `${adapter}-between`);
    const half = Math.floor(full.length / 2); // inside a row: loaded as read, that row would be rejected
    const file = path.join(dir, 'paused.csv');
    writeFileSync(file, full.slice(0, half));
    writeFileSync(`${file}.done`, '');
    const transport = transportOver(dir, remote, port());
    const units: SourceUnit[] = [];
    for await (const unit of transport.poll({ alreadyLoaded: async () => false })) units.push(unit);
    expect(units.map((unit) => unit.name)).toEqual(['paused.csv']);
    // The writer goes on after the poll found the file complete, before the loader reads it (the SFTP adapter
    // loads its download: the rest reaches that copy too, as if it had been downloaded later).
    for (const bytes of new Set([file, units[0]?.path ?? file])) appendFileSync(bytes, full.slice(half));
    await expect(ingestAll(fx, units)).rejects.toThrow(/paused\.csv changed while it was loading/);
    const recorded = await fx.warehouse('source_files').where({ name: 'paused.csv' }).count({ n: '*' });
    expect(Number(recorded[0]?.n)).toBe(0);
    await transport.close();
    writeFileSync(`${file}.done`, '');
    const summary = await run(dir, remote);
    expect(summary.counts).toMatchObject({ read: 30, inserted: 30, rejected: 0 });
  });

  it('a file written again after it was loaded is not moved aside, and loads whole on the next poll', async () => {
    const { dir, remote } = freshDir('rewritten');
    const full = penaltyCsv(20, `${adapter}-rewritten`);
    const half = full.slice(0, full.lastIndexOf('\n', full.length / 2) + 1); // whole rows: a writer that paused
    const file = path.join(dir, 'slow.csv');
    writeFileSync(file, half);
    writeFileSync(`${file}.done`, '');
    const transport = transportOver(dir, remote, port());
    const units: SourceUnit[] = [];
    for await (const unit of transport.poll({ alreadyLoaded: async () => false })) units.push(unit);
    const summary = await ingestAll(fx, units);
    expect(statuses(summary)).toEqual([['slow.csv', 'loaded']]);
    writeFileSync(file, full); // the writer came back after the load
    await expect(transport.settle(units[0] as SourceUnit, 'loaded')).rejects.toThrow(
      /slow\.csv changed after it was read .*not moved to processed/,
    );
    await transport.close();
    expect(listed(dir)).toEqual(['slow.csv', 'slow.csv.done']);
    writeFileSync(`${file}.done`, '');
    const next = await run(dir, remote);
    expect(statuses(next)).toEqual([['slow.csv', 'loaded']]);
    expect(listed(path.join(dir, 'processed'))).toEqual(['slow.csv', 'slow.csv.done']);
  });

  it('twins in one poll: the second goes through the ledger, failed or skipped as the first went', async () => {
    const { dir, remote } = freshDir('twins');
    // Every row invalid: the first twin fails whole; the second fails on its own, never filed as processed.
    const dateColumn = PENALTY_HEADER.indexOf('处罚决定日期');
    const bad = toCsv(
      PENALTY_HEADER,
      penaltyRows(3, `${adapter}-twins-bad`).map((row) =>
        row.map((cell, c) => (c === dateColumn ? '不是日期' : cell)),
      ),
    );
    const good = penaltyCsv(3, `${adapter}-twins-good`);
    deliver(dir, 'x1.csv', bad);
    deliver(dir, 'x2.csv', bad);
    deliver(dir, 'y1.csv', good);
    deliver(dir, 'y2.csv', good);
    const summary = await run(dir, remote);
    const names = summary.files.map((file) => file.name);
    expect(names).toEqual(['x1.csv', 'x2.csv', 'y1.csv', 'y2.csv']);
    const [x1, x2, y1, y2] = summary.files;
    expect(x2?.status).toBe(x1?.status);
    expect(x1?.status).not.toBe('loaded');
    expect(y1?.status).toBe('loaded');
    expect(y2?.status).toBe('skipped');
    expect(y2?.sameContentAs?.sourceFileId).toBe(y1?.sourceFileId);
    expect(listed(path.join(dir, 'processed')).filter((n) => n.endsWith('.csv'))).toEqual([
      'y1.csv',
      'y2.csv',
    ]);
    expect(listed(path.join(dir, 'failed')).filter((n) => n.endsWith('.csv'))).toEqual(['x1.csv', 'x2.csv']);
  });

  it('a re-delivery of content loaded before is listed in the run as skipped, pointing at the first load', async () => {
    const { dir, remote } = freshDir('redelivered');
    const csv = penaltyCsv(2, `${adapter}-redelivered`);
    deliver(dir, 'first.csv', csv);
    const first = await run(dir, remote);
    deliver(dir, 'copy.csv', csv);
    const second = await run(dir, remote);
    expect(statuses(second)).toEqual([['copy.csv', 'skipped']]);
    expect(second.files[0]?.sameContentAs?.sourceFileId).toBe(first.files[0]?.sourceFileId);
    expect(second.status).toBe('completed');
    expect(listed(path.join(dir, 'processed')).filter((n) => n.endsWith('.csv'))).toEqual([
      'copy.csv',
      'first.csv',
    ]);
  });
});

describe('credit-etl run over a drop whose processed/ cannot be written', () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('drop_hostile_cli');
  });
  afterAll(async () => fx?.close());

  it('loads the next delivery, and says which files it could not move', async () => {
    const pipelines = path.join(fx.scratch, 'pipelines');
    const inbox = path.join(fx.scratch, 'inbox');
    mkdirSync(pipelines);
    mkdirSync(inbox);
    writeFileSync(
      path.join(pipelines, 'stuck.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370000MB2852362M',
        level: 'province',
        transport: { type: 'drop-folder', directory: inbox, stableSizeMs: STABLE_MS },
        retry: { attempts: 1, backoffSeconds: 0 },
      }),
    );
    const env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_PIPELINES_DIR: pipelines,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: fx.scratch,
      CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, 'staging'),
    };
    for (const name of ['a1.csv', 'a2.csv']) {
      writeFileSync(path.join(inbox, name), penaltyCsv(2, `cli-${name}`));
      writeFileSync(path.join(inbox, `${name}.ok`), '');
    }
    writeFileSync(path.join(inbox, 'processed'), 'a plain file');
    expect((await runCli(['run', 'stuck'], env)).code).toBe(1);
    writeFileSync(path.join(inbox, 'a3.csv'), penaltyCsv(3, 'cli-a3'));
    writeFileSync(path.join(inbox, 'a3.csv.ok'), '');
    const second = await runCli(['run', 'stuck', '--json'], env);
    expect(second.code, second.stderr).toBe(1); // the unmoved files need the operator
    const report = JSON.parse(second.stdout) as { runId: number; files: { name: string; status: string }[] };
    expect(report.files.map((file) => [file.name, file.status])).toEqual([
      ['a1.csv', 'skipped'],
      ['a2.csv', 'skipped'],
      ['a3.csv', 'loaded'],
    ]);
    const stored = await fx.warehouse('runs').where({ id: report.runId }).first();
    expect(stored.error).toMatch(/a1\.csv: skipped, but the transport could not settle it/);
    const loaded = await fx.warehouse('source_files').where({ name: 'a3.csv', status: 'loaded' });
    expect(loaded).toHaveLength(1);
  });
});

describe('an SFTP connection that is cut', () => {
  let server: SftpTestServer;
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('drop_hostile_quiet');
    server = await startSftpServer();
  });
  afterAll(async () => {
    await server?.close();
    await fx?.close();
  });

  it('prints nothing of its own on stdout (run --json must stay JSON)', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      written.push(args.join(' '));
    });
    try {
      mkdirSync(path.join(server.root, 'cut'), { recursive: true });
      writeFileSync(path.join(server.root, 'cut', 'big.csv'), penaltyCsv(200, 'sftp-cut'));
      server.killTransfersAfter(1000, 1); // the first download is cut: the client reconnects and tries again
      const drop = new SftpDropPort(sftpTransportConfig(server, '/cut'), transportContext(fx, ENV));
      const [entry] = (await drop.list('/cut')) ?? [];
      const fetched = await drop.fetch('/cut', entry as DropEntry);
      expect(server.connections()).toBeGreaterThan(1);
      await fetched.release();
      await drop.close();
      await new Promise((resolve) => setTimeout(resolve, 200)); // the end and close events come later
    } finally {
      spy.mockRestore();
      log.mockRestore();
    }
    expect(written.filter((line) => /listener/i.test(line))).toEqual([]);
  });
});
