import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CuttableProxy, openCuttableProxy } from './support/cuttable-proxy.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { type RunningCli, startCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// The CLI behind a proxy that cuts its connections mid-load and refuses new ones for 5 s (a database restart):
// the run that faulted ends `failed` with that fault and what it loaded, no run stays `running`, and the command
// reports the fault, not a failure to record it.
describe('a run hit by a database restart ends failed with its reason and counts (real PostgreSQL)', {
  timeout: 240_000,
}, () => {
  let fx: WarehouseFixture;
  let proxy: CuttableProxy;

  beforeAll(async () => {
    fx = await openWarehouseFixture('xlock_fault_end');
    proxy = await openCuttableProxy(fx.url);
  });
  // A test that failed early must not leave the next one a proxy that still refuses.
  afterEach(async () => proxy?.reopened());
  afterAll(async () => {
    await proxy?.close();
    await fx?.close();
  });

  /** `a-<tag>.csv` of 500 rows, then `b-<tag>.csv` of 100,000, in `dir`. */
  function deliveries(dir: string, tag: string, seed: number) {
    mkdirSync(dir, { recursive: true });
    return [
      writePenaltyCsv(dir, `a-${tag}.csv`, 500, { seed }).file,
      writePenaltyCsv(dir, `b-${tag}.csv`, 100_000, { seed: seed + 1 }).file,
    ];
  }

  /** Waits until the small file has committed and the big one is being copied, then cuts. */
  async function cutWhileLoadingBig(running: RunningCli, tag: string): Promise<void> {
    const ready = async () =>
      (await fx.warehouse('source_files').where({ name: `a-${tag}.csv`, status: 'loaded' })).length > 0 &&
      (
        await fx.owner.raw(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY stage%'`,
        )
      ).rows.length > 0;
    for (let tries = 0; !(await ready()); tries++) {
      expect(tries, `the big file's COPY never started:\n${running.output()}`).toBeLessThan(1200);
      await sleep(50);
    }
    proxy.cut(5_000);
  }

  function cliEnv(name: string): NodeJS.ProcessEnv {
    return {
      DATABASE_URL: proxy.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, `${name}.log`),
      CREDIT_ETL_REPORT_DIR: fx.scratch,
    };
  }

  it('`ingest`: exit 1 naming the database fault; its run is failed with that reason and the small file counted', async () => {
    const files = deliveries(path.join(fx.scratch, 'ingest'), 'ingest', 21);
    const args = [
      'ingest',
      ...files,
      '--catalog',
      'xzcf',
      '--provider',
      '11370000MB2852362M',
      '--level',
      'province',
    ];
    const running = startCli(args, cliEnv('ingest'));
    await cutWhileLoadingBig(running, 'ingest');
    const result = await running.result;

    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(
      /credit-etl: failed: the database connection failed while loading b-ingest\.csv \(not a fault of the file/,
    );
    const runs = await fx.warehouse('runs').where({ kind: 'ingest' });
    expect(runs.map((run) => run.status)).toEqual(['failed']);
    expect(runs[0].error).toMatch(/the database connection failed while loading b-ingest\.csv/);
    expect(runs[0].counts).toMatchObject({ read: 500 });
  });

  it('`run`: the faulted attempt is failed with its reason and the file it committed, the retry completes', async () => {
    const inbox = path.join(fx.scratch, 'retried', 'inbox');
    const pipelines = path.join(fx.scratch, 'retried', 'pipelines');
    mkdirSync(pipelines, { recursive: true });
    deliveries(inbox, 'run', 31);
    writeFileSync(
      path.join(pipelines, 'retried.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370100MB28174284',
        level: 'city',
        transport: { type: 'drop-folder', directory: inbox, markerSuffixes: [], stableSizeMs: 0 },
        retry: { attempts: 3, backoffSeconds: 1 },
      }),
    );
    const running = startCli(['run', 'retried', '--json'], {
      ...cliEnv('run'),
      CREDIT_ETL_PIPELINES_DIR: pipelines,
    });
    await cutWhileLoadingBig(running, 'run');
    const result = await running.result;

    expect(result.code, result.stderr).toBe(0);
    const runs = await fx.warehouse('runs').where({ pipeline: 'retried' }).orderBy('id');
    expect(runs.map((run) => [run.status, run.attempts])).toEqual([
      ['failed', 1],
      ['completed', 2],
    ]);
    expect(runs[0].error).toMatch(/the database connection failed while loading b-run\.csv/);
    expect(runs[0].counts).toMatchObject({ read: 500 });
    expect(runs[1].counts).toMatchObject({ read: 100_000 });
  });
});
