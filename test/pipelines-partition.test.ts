import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../connectors/registry.ts';
import { createLogger } from '../src/log/logger.ts';
import { loadPipelines } from '../src/pipelines/load-pipelines.ts';
import { runPipeline } from '../src/pipelines/run-pipeline.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/** The calendar day in Asia/Shanghai `offset` days from now, computed here independently of the code. */
const shanghaiDay = (offset: number) =>
  new Date(Date.now() + 8 * 3600_000 + offset * 86_400_000).toISOString().slice(0, 10);

describe('every pipeline run has a partition day (real PostgreSQL, real drop folder)', () => {
  let fx: WarehouseFixture;
  let pipelines: string;
  let env: NodeJS.ProcessEnv;
  const inbox = () => path.join(fx.scratch, 'inbox');
  const deliver = (day: string, name: string, seed: number) => {
    const folder = path.join(inbox(), day);
    mkdirSync(folder, { recursive: true });
    writePenaltyCsv(folder, name, 10, { seed });
    writeFileSync(path.join(folder, `${name}.ok`), '');
  };
  const feed = (name: string, extra: Record<string, unknown> = {}) =>
    writeFileSync(
      path.join(pipelines, `${name}.json`),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370100MB28174284',
        level: 'city',
        transport: { type: 'drop-folder', directory: path.join(inbox(), '{date}') },
        ...extra,
      }),
    );

  beforeAll(async () => {
    fx = await openWarehouseFixture('partition');
    pipelines = path.join(fx.scratch, 'pipelines');
    mkdirSync(pipelines);
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_PIPELINES_DIR: pipelines,
      CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, 'staging'),
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: fx.scratch,
    };
  });
  afterAll(async () => fx?.close());

  it('a plain run is for yesterday in Shanghai: it reads {date} = that day and stores it; backfill then shows the day done', {
    timeout: 120_000,
  }, async () => {
    const yesterday = shanghaiDay(-1);
    const dayBefore = shanghaiDay(-2);
    deliver(yesterday, 'yesterday.csv', 1);
    deliver(shanghaiDay(0), 'today.csv', 2);
    feed('feed');

    const run = await runCli(['run', 'feed', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.files.map((file: { name: string }) => file.name)).toEqual(['yesterday.csv']);
    expect(await fx.warehouse('runs').where({ pipeline: 'feed' }).select('kind', 'partition_date')).toEqual([
      { kind: 'pipeline', partition_date: yesterday },
    ]);
    expect(readdirSync(path.join(inbox(), shanghaiDay(0))).sort()).toEqual(['today.csv', 'today.csv.ok']);

    const plan = await runCli(['backfill', 'feed', '--from', dayBefore, '--to', yesterday, '--dry-run'], env);
    expect(plan.code, plan.stderr).toBe(0);
    const rows = plan.stdout
      .trim()
      .split('\n')
      .filter((line) => /^\d{4}-\d\d-\d\d/.test(line))
      .map((line) => line.split(/\s+/).slice(0, 3));
    expect(rows).toEqual([
      [dayBefore, '-', 'run'],
      [yesterday, 'completed', 'skip'],
    ]);
  });

  it('a pipeline may say which day it is for, as an offset in days (0: the same day)', async () => {
    feed('same-day', { partition: { offsetDays: 0 } });
    feed('two-back', { partition: { offsetDays: -2 } });
    feed('broken', { partition: { offsetDays: 1 } });
    const loaded = await loadPipelines(pipelines, TRANSPORTS);
    expect(
      loaded.problems.map((problem) => [path.basename(problem.file), problem.path, problem.message]),
    ).toEqual([['broken.json', '/partition/offsetDays', 'must be <= 0']]);
    const byName = new Map(loaded.pipelines.map((pipeline) => [pipeline.name, pipeline]));
    expect(byName.get('feed')?.partition).toEqual({ offsetDays: -1 });
    expect(byName.get('two-back')?.partition).toEqual({ offsetDays: -2 });

    const result = await runPipeline(
      fx.warehouse,
      fx.catalog,
      byName.get('same-day')!,
      { stagingDir: path.join(fx.scratch, 'staging') },
      createLogger({ console: false }),
    );
    expect(result.status === 'ran' && result.summary.files.map((file) => file.name)).toEqual(['today.csv']);
    const run = await fx.warehouse('runs').where({ pipeline: 'same-day' }).first('partition_date');
    expect(run.partition_date).toBe(shanghaiDay(0));
  });
});
