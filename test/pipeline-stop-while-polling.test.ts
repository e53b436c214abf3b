import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePenaltyCsv } from './support/generated-file.ts';
import { startCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// The first SIGTERM while the transport is still polling (a drop folder waiting for a file's size to settle,
// before the first file): the documented graceful stop, exit 0 and the run `interrupted` — not `failed`, exit 1
// and an alert, as the poll's abort used to be taken for a failure of the attempt.
describe('run: SIGTERM before the first file, while the drop folder waits for sizes to settle', () => {
  let fx: WarehouseFixture;

  beforeAll(async () => {
    fx = await openWarehouseFixture('stop_while_polling');
  }, 120_000);
  afterAll(async () => fx?.close());

  it('exits 0, the run interrupted with the signal as its reason, the file left for the next run', {
    timeout: 180_000,
  }, async () => {
    const [pipelines, drop] = ['pipelines', 'drop'].map((name) => path.join(fx.scratch, name)) as [
      string,
      string,
    ];
    for (const folder of [pipelines, drop]) mkdirSync(folder);
    writePenaltyCsv(drop, 'delivery.csv', 5, { seed: 9 });
    writeFileSync(
      path.join(pipelines, 'nightly.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370100MB28174284',
        level: 'city',
        // No markers: a file counts once its size held still this long, far longer than the test waits.
        transport: { type: 'drop-folder', directory: drop, markerSuffixes: [], stableSizeMs: 120_000 },
      }),
    );
    const running = startCli(['run', 'nightly', '--json'], {
      DATABASE_URL: fx.url,
      CREDIT_ETL_PIPELINES_DIR: pipelines,
      CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, 'staging'),
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: fx.scratch,
    });
    // The run holds its pipeline's lock (a session of its own, named after the process) once it polls.
    const locked = async () =>
      (
        await fx.owner.raw(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE ?`,
          [`credit-etl lock ${running.child.pid}@%`],
        )
      ).rows.length > 0;
    for (let tries = 0; !(await locked()); tries++) {
      expect(tries, `the run never took its lock:\n${running.output()}`).toBeLessThan(1200);
      await sleep(50);
    }
    running.child.kill('SIGTERM');
    const result = await running.result;
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}');
    expect(summary).toMatchObject({ status: 'interrupted', files: [] });

    const runs = await fx.warehouse('runs').select('id', 'status', 'error', 'pipeline', 'attempts');
    expect(runs).toEqual([
      {
        id: summary.runId,
        status: 'interrupted',
        error: 'stopped by SIGTERM after the current file: the files not read are left for the next run',
        pipeline: 'nightly',
        attempts: 1,
      },
    ]);
    expect(Number((await fx.warehouse('source_files').count('* as n').first())?.n)).toBe(0);
    expect(existsSync(path.join(drop, 'delivery.csv'))).toBe(true);
  });
});
