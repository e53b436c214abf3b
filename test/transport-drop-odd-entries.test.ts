import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceUnit, Transport } from '../connectors/contracts.ts';
import { TRANSPORTS } from '../connectors/registry.ts';
import { type DropFolderConfig, dropFolderTransport } from '../connectors/transports/drop-folder.ts';
import { writeZip } from '../connectors/transports/zip-fixture.test-support.ts';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import { createLogger } from '../src/log/logger.ts';
import type { PipelineDefinition } from '../src/pipelines/pipeline-definition.ts';
import type { PipelineRunOptions } from '../src/pipelines/run-pipeline.ts';
import type { RunSummary } from '../src/run/ingest-files.ts';
import { PENALTY_HEADER, penaltyRows } from './support/penalty-delivery.ts';
import { runCli } from './support/run-cli.ts';
import { runPipelineOnce, testPipeline } from './support/test-pipeline.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVIDER = '11370000MB2852362M';
const listed = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
const penaltyCsv = (count: number, tag: string) => toCsv(PENALTY_HEADER, penaltyRows(count, tag));
const statuses = (summary: RunSummary) =>
  summary.files.map((file) => [file.name, file.status, file.error?.code]);
const logger = createLogger({ console: false });

/**
 * What a drop folder (and `ingest`) holds that is no data file: a zip with nothing to read, a zip inside a zip, a
 * folder or a named pipe named like a delivery, a delivery renamed while it loaded. Each is said, never passed over.
 */
describe('a drop folder holding what is no data file', () => {
  let fx: WarehouseFixture;
  let dirs = 0;
  beforeAll(async () => {
    fx = await openWarehouseFixture('drop_odd_entries');
  });
  afterAll(async () => fx?.close());

  function freshDir(name: string): string {
    const dir = path.join(fx.scratch, `${name}-${++dirs}`);
    mkdirSync(dir);
    return dir;
  }

  function pipeline(dir: string, glob?: string): PipelineDefinition {
    return testPipeline(`odd-${dirs}`, {
      type: 'drop-folder',
      directory: dir,
      stableSizeMs: 20,
      markerSuffixes: [],
      ...(glob ? { glob } : {}),
    });
  }

  const run = (dir: string, extra: Partial<PipelineRunOptions> = {}, glob?: string): Promise<RunSummary> =>
    runPipelineOnce(fx, pipeline(dir, glob), logger, extra);

  it('fails a zip with no data file in it, records it and files it in failed/, with a message saying so', async () => {
    const dir = freshDir('empty-zip');
    writeFileSync(path.join(dir, 'a.csv'), penaltyCsv(2, 'odd-empty-zip'));
    await writeZip(path.join(dir, 'empty.zip'), {});
    await writeZip(path.join(dir, 'folders.zip'), { 'x/': '', '__MACOSX/._a.csv': 'x', '.DS_Store': 'x' });
    const summary = await run(dir);
    expect(statuses(summary)).toEqual([
      ['a.csv', 'loaded', undefined],
      ['empty.zip', 'failed', 'empty-archive'],
      ['folders.zip', 'failed', 'empty-archive'],
    ]);
    expect(summary.status).not.toBe('completed');
    expect(summary.files[1]?.error?.message).toMatch(
      /^压缩包 empty\.zip 中没有可读取的数据文件：压缩包是空的/,
    );
    const stored = await fx.warehouse('source_files').where({ name: 'folders.zip' }).first();
    expect(stored).toMatchObject({ status: 'failed', error_code: 'empty-archive' });
    expect(stored.error).toContain('其中只有 1 个文件夹、1 个隐藏文件');
    expect(listed(path.join(dir, 'failed'))).toEqual(['empty.zip', 'folders.zip']);
    expect(listed(path.join(dir, 'processed'))).toEqual(['a.csv']);
  });

  it('says a zip inside a zip is not accepted, and loads the other entries', async () => {
    const dir = freshDir('nested');
    const inner = path.join(fx.scratch, 'inner.zip');
    await writeZip(inner, { 'b.csv': penaltyCsv(1, 'odd-nested-inner') });
    await writeZip(path.join(dir, 'outer.zip'), {
      'inner.zip': readFileSync(inner),
      'a.csv': penaltyCsv(2, 'odd-nested'),
    });
    const summary = await run(dir);
    expect(statuses(summary)).toEqual([
      ['outer.zip!inner.zip', 'failed', 'nested-archive'],
      ['outer.zip!a.csv', 'loaded', undefined],
    ]);
    expect(summary.files[0]?.error?.message).toContain('压缩包内不接受再嵌套压缩包');
  });

  it('reports a folder or a named pipe named like a delivery every run, and leaves it where it is', async () => {
    const dir = freshDir('not-files');
    writeFileSync(path.join(dir, 'a.csv'), penaltyCsv(2, 'odd-not-files'));
    mkdirSync(path.join(dir, 'dir.csv'));
    execFileSync('mkfifo', [path.join(dir, 'fifo.csv')]);
    mkdirSync(path.join(dir, 'notes')); // not named like a delivery: nothing to say
    const refused = (summary: RunSummary) =>
      (summary.warnings ?? []).filter((w) => w.code === 'refused-file-name').map((w) => w.message);
    const first = await run(dir);
    expect(statuses(first)).toEqual([['a.csv', 'loaded', undefined]]);
    expect(first.status).toBe('completed'); // a warning, not a failure
    const expectRefusals = (messages: string[]) => {
      expect(messages).toHaveLength(2);
      expect(messages.find((m) => m.includes('"dir.csv"'))).toMatch(
        /a directory, not a file.*stays where it is/,
      );
      expect(messages.find((m) => m.includes('"fifo.csv"'))).toMatch(
        /a named pipe \(FIFO\), not a file.*until it is removed or replaced by a regular file/,
      );
    };
    expectRefusals(refused(first));
    const second = await run(dir);
    expect(second.files).toEqual([]);
    expectRefusals(refused(second));
    expect(listed(dir)).toEqual(['dir.csv', 'fifo.csv', 'notes', 'processed']);
    // A glob that takes every name: the folder the drop made itself (processed/) is still never reported.
    const every = refused(await run(dir, {}, '*'));
    expect(every.map((m) => m.match(/: (".*?") is not taken/)?.[1]).sort()).toEqual([
      '"dir.csv"',
      '"fifo.csv"',
      '"notes"',
    ]);
  });

  it('warns when a delivery was renamed while it loaded: loaded, not moved, said in the run', async () => {
    const dir = freshDir('renamed');
    writeFileSync(path.join(dir, 'big.csv'), penaltyCsv(3, 'odd-renamed'));
    // The rename lands after the file was read and before it is moved aside: as `mv` during a long load does.
    const renaming: typeof dropFolderTransport = {
      ...dropFolderTransport,
      create: (config: DropFolderConfig, context) => {
        const transport: Transport = dropFolderTransport.create(config, context);
        const settle = transport.settle?.bind(transport);
        transport.settle = async (unit: SourceUnit, outcome: 'loaded' | 'failed') => {
          renameSync(path.join(dir, 'big.csv'), path.join(dir, 'big_renamed.csv'));
          return settle?.(unit, outcome);
        };
        return transport;
      },
    };
    const summary = await run(dir, { transports: { ...TRANSPORTS, 'drop-folder': renaming as never } });
    expect(statuses(summary)).toEqual([['big.csv', 'loaded', undefined]]);
    expect(summary.counts.inserted).toBe(3); // what was committed stands
    const gone = (summary.warnings ?? []).filter((w) => w.code === 'file-gone-after-read');
    expect(gone).toHaveLength(1);
    expect(gone[0]?.message).toMatch(
      /^big\.csv is no longer in .*renamed, moved or removed while or after it was read; what was read is recorded \(loaded\) but the file could not be moved to processed\//,
    );
    const stored = await fx.warehouse('runs').where({ id: summary.runId }).first();
    expect(stored.error).toContain('big.csv is no longer in');
    expect(listed(dir)).toEqual(['big_renamed.csv']);
  });
});

describe('ingest of a zip with no data file (the real CLI)', () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('ingest_empty_zip');
  });
  afterAll(async () => fx?.close());

  it('records it as a failed file (exit 1), never a silent success', async () => {
    const file = path.join(fx.scratch, 'empty.zip');
    await writeZip(file, {});
    const env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
      CREDIT_ETL_PIPELINES_DIR: path.join(fx.scratch, 'pipelines'),
      CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, 'staging'),
    };
    const argv = [
      'ingest',
      file,
      '--catalog',
      'xzcf',
      '--provider',
      PROVIDER,
      '--level',
      'province',
      '--json',
    ];
    const result = await runCli(argv, env);
    expect(result.code, result.stderr).toBe(1);
    const { files } = JSON.parse(result.stdout) as {
      files: { name: string; status: string; error?: { code: string; message: string } }[];
    };
    expect(files).toMatchObject([
      {
        name: 'empty.zip',
        status: 'failed',
        error: {
          code: 'empty-archive',
          message: expect.stringContaining('压缩包 empty.zip 中没有可读取的数据文件'),
        },
      },
    ]);
    const stored = await fx.warehouse('source_files').where({ name: 'empty.zip' }).first();
    expect(stored).toMatchObject({ status: 'failed', error_code: 'empty-archive', size_bytes: 22 });
  });
});
