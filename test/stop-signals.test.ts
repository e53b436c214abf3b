import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileUnit } from '../connectors/transports/local-file.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { createLogger } from '../src/log/logger.ts';
import { ingestUnits } from '../src/run/ingest-files.ts';
import { inboxOf, writeDropFolderPipeline } from './support/drop-folder-pipeline.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { type RunningCli, runCli, startCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// `credit-etl run` over a real drop folder: how a pipeline run ends when it is stopped, or cannot move a file.
describe('a pipeline run that is stopped or cannot settle', { timeout: 240_000 }, () => {
  let fx: WarehouseFixture;

  beforeAll(async () => {
    fx = await openWarehouseFixture('stop_signals');
  });
  afterAll(async () => fx?.close());

  /** A drop-folder pipeline over `<scratch>/<name>/inbox`; returns the inbox and the CLI's environment. */
  function dropFolderPipeline(name: string) {
    const inbox = inboxOf(fx, name);
    return { inbox, env: writeDropFolderPipeline(fx, name, inbox, {}, 'cli.log') };
  }

  async function untilCopying(running: RunningCli): Promise<void> {
    const copying = async () =>
      // As the owner: the engine's role may not read another session's query.
      (
        await fx.owner.raw(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY stage%'`,
        )
      ).rows.length > 0;
    for (let tries = 0; !(await copying()); tries++) {
      expect(tries, `the COPY into staging never started:\n${running.output()}`).toBeLessThan(1200);
      await sleep(50);
    }
  }

  it('a second SIGTERM rolls the current file back: exit 130, run interrupted, the file left in the inbox', async () => {
    const { inbox, env } = dropFolderPipeline('twice');
    writePenaltyCsv(inbox, 'big.csv', 100_000, { seed: 4 });
    const running = startCli(['run', 'twice'], env);
    await untilCopying(running);
    running.child.kill('SIGTERM');
    for (let tries = 0; !running.output().includes('finishing the current file'); tries++) {
      expect(tries, 'the first SIGTERM was not acknowledged').toBeLessThan(600);
      await sleep(20);
    }
    running.child.kill('SIGTERM');
    const result = await running.result;
    expect(result.code, result.stderr).toBe(130);

    const [run] = await fx.warehouse('runs').where({ pipeline: 'twice' }).select('id', 'status');
    expect(run.status).toBe('interrupted');
    expect(await fx.warehouse('source_files').where({ run_id: run.id, status: 'loaded' })).toEqual([]);
    expect(readdirSync(inbox)).toEqual(['big.csv']);
    // The stop ends the run interrupted: nothing says it failed, may be stale, or prints the closed pool's error.
    expect(result.stderr).not.toMatch(/failed|stale|Unable to acquire/i);
    expect(result.stderr).toContain('marked interrupted');
  });

  it('SIGINT while `ingest` loads a big file: exit 130, run interrupted, and stderr says nothing failed', async () => {
    const { file } = writePenaltyCsv(fx.scratch, 'sigint.csv', 200_000, { seed: 5 });
    const running = startCli(
      ['ingest', file, '--catalog', 'xzcf', '--provider', '11370000MB2852362M', '--level', 'province'],
      { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') },
    );
    await untilCopying(running);
    running.child.kill('SIGINT');
    const result = await running.result;
    expect(result.code, result.stderr).toBe(130);

    const [run] = await fx.warehouse('runs').orderBy('id', 'desc').limit(1).select('id', 'status');
    expect(run.status).toBe('interrupted');
    expect(result.stderr).not.toMatch(/failed|stale|Unable to acquire/i);
    expect(result.stderr).toContain('marked interrupted');
  });

  it('a file that cannot be moved aside: the run goes on to the next, ends failed, and says why', async () => {
    const { inbox, env } = dropFolderPipeline('unsettled');
    writePenaltyCsv(inbox, 'a.csv', 10, { seed: 5 });
    writePenaltyCsv(inbox, 'b.csv', 10, { seed: 6 });
    // processed/ cannot be created: a file has its name.
    writeFileSync(path.join(inbox, 'processed'), '');
    const result = await runCli(['run', 'unsettled', '--json'], env);
    expect(result.code, result.stderr).toBe(1);

    const [run] = await fx.warehouse('runs').where({ pipeline: 'unsettled' }).select('id', 'status', 'error');
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^a\.csv: loaded, but the transport could not settle it: .*processed/m);
    expect(run.error).toMatch(/^b\.csv: loaded, but the transport could not settle it/m);
    const loaded = await fx
      .warehouse('source_files')
      .where({ run_id: run.id })
      .orderBy('name')
      .select('name', 'status');
    expect(loaded).toEqual([
      { name: 'a.csv', status: 'loaded' },
      { name: 'b.csv', status: 'loaded' },
    ]);
    expect(existsSync(path.join(inbox, 'a.csv'))).toBe(true);
  });

  it('an uncaught exception while a file loads: the file rolls back, the run ends failed with it, exit 1', async () => {
    const { file } = writePenaltyCsv(fx.scratch, 'crash.csv', 100_000, { seed: 8 });
    const running = startCli(
      ['ingest', file, '--catalog', 'xzcf', '--provider', '11370000MB2852362M', '--level', 'province'],
      { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') },
      {
        nodeArgs: [
          '--import',
          'tsx',
          '--import',
          path.join(PROJECT_ROOT, 'test/support/fault-on-sigusr2.ts'),
        ],
      },
    );
    await untilCopying(running);
    running.child.kill('SIGUSR2');
    const result = await running.result;
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain('credit-etl: crashed: fault injected by the test');

    const [run] = await fx.warehouse('runs').orderBy('id', 'desc').limit(1).select('id', 'status', 'error');
    expect(run).toMatchObject({ status: 'failed', error: 'the process crashed: fault injected by the test' });
    expect(await fx.warehouse('source_files').where({ run_id: run.id, status: 'loaded' })).toEqual([]);
  });

  it('an error that escapes the run ends it failed with the error before it propagates', async () => {
    const { file } = writePenaltyCsv(fx.scratch, 'escape.csv', 10, { seed: 7 });
    const logger = createLogger({ logFile: path.join(fx.scratch, 'test.log'), console: false });
    const ingesting = ingestUnits(
      fx.warehouse,
      fx.catalog,
      {
        units: [await localFileUnit(file)],
        catalog: 'xzcf',
        providerCode: '11370000MB2852362M',
        level: 'city',
        encoding: 'auto',
        onUnitStart: () => {
          throw new Error('the progress display fell over');
        },
      },
      logger,
    );
    await expect(ingesting).rejects.toThrow('the progress display fell over');
    const [run] = await fx
      .warehouse('runs')
      .orderBy('id', 'desc')
      .limit(1)
      .select('status', 'error', 'finished_at');
    expect(run.status).toBe('failed');
    expect(run.error).toContain('the progress display fell over');
    expect(run.finished_at).not.toBeNull();
  });
});
