import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log/logger.ts';
import { loadPipelines } from '../src/pipelines/load-pipelines.ts';
import type { PipelineDefinition } from '../src/pipelines/pipeline-definition.ts';
import { runPipeline } from '../src/pipelines/run-pipeline.ts';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';
import { until } from './support/until.ts';
import { fixturePath } from './support/warehouse-fixture.ts';

/**
 * `credit_etl_pipeline_last_success_timestamp_seconds` against real PostgreSQL: a console retry of a day that
 * failed its threshold reads nothing (the file went to failed/) and ends `completed` with 0 rows; the day grid
 * keeps the day's failure, and so must the metric (an operator's staleness alert must not reset on it). A
 * scheduled run of a new day that found no file still counts, as before.
 */
const PIPELINE = 'retry-metrics';
const BAD_ID = '11010519491231002X';

let cx: ConsoleFixture;
let pipeline: PipelineDefinition;
let drop: string;

function penaltyCsv(rows: number, bad: boolean): string {
  const lines = readFileSync(fixturePath('xzcf', 'utf8-bom', 'input.csv'), 'utf8').split(/\r?\n/);
  const body = lines.slice(1, 1 + rows);
  if (bad) body[0] = body[0]!.replace('913701020000050122', BAD_ID);
  return [lines[0], ...body].join('\n');
}

async function run(partition: string, file?: { name: string; csv: string }) {
  mkdirSync(path.join(drop, partition), { recursive: true });
  if (file) {
    writeFileSync(path.join(drop, partition, file.name), file.csv);
    writeFileSync(path.join(drop, partition, `${file.name}.ok`), '');
  }
  const result = await runPipeline(
    cx.fx.warehouse,
    cx.fx.catalog,
    pipeline,
    { partition, kind: 'pipeline', stagingDir: cx.deps.stagingDir },
    createLogger({ console: false }),
  );
  if (result.status !== 'ran') throw new Error('pipeline locked');
  return result.summary;
}

/** The console's own /metrics: the pipeline's last success, in seconds since the epoch. */
async function lastSuccess(): Promise<number | undefined> {
  const text = await (await fetch(`${cx.baseUrl}/metrics`)).text();
  const line = text
    .split('\n')
    .find((candidate) =>
      candidate.startsWith(`credit_etl_pipeline_last_success_timestamp_seconds{pipeline="${PIPELINE}"`),
    );
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

const finishedAt = async (runId: number): Promise<number> =>
  ((await cx.fx.warehouse('runs').where({ id: runId }).first()).finished_at as Date).getTime() / 1000;

beforeAll(async () => {
  const pipelinesDir = path.join(process.env.TMPDIR ?? '/tmp', `credit-etl-metrics-retry-${process.pid}`);
  mkdirSync(pipelinesDir, { recursive: true });
  cx = await openConsoleFixture('metrics_retry', { pipelinesDir, browser: false });
  drop = path.join(cx.fx.scratch, 'drop');
  writeFileSync(
    path.join(pipelinesDir, `${PIPELINE}.json`),
    JSON.stringify({
      catalog: 'xzcf',
      provider: '11370100MB28174284',
      level: 'city',
      transport: { type: 'drop-folder', directory: path.join(drop, '{date}') },
      schedule: { cron: '0 30 2 * * *' },
      thresholds: { maxRejectRate: 0.2 },
    }),
  );
  const { pipelines, problems } = await loadPipelines(pipelinesDir, cx.deps.transports);
  expect(problems).toEqual([]);
  pipeline = pipelines[0]!;
}, 180_000);

afterAll(async () => cx?.close());

describe('the last success per pipeline on /metrics', () => {
  it('is not moved by a console retry of a failed day that read nothing; a new day that found no file moves it', async () => {
    const good = await run('2026-11-20', { name: 'day1.csv', csv: penaltyCsv(3, false) });
    expect(good.status).toBe('completed');
    const goodAt = await finishedAt(good.runId);
    expect(await lastSuccess()).toBeCloseTo(goodAt, 2);

    // One bad row of two is over 20 %: the file goes back whole, to failed/.
    const failed = await run('2026-11-21', { name: 'day2.csv', csv: penaltyCsv(2, true) });
    expect(failed.status).toBe('failed-threshold');

    // The admin retries the failed day from the console: it reads nothing and completes with 0 rows.
    const admin = await cx.http('admin');
    expect((await admin.post(`/runs/${failed.runId}/retry`)).status).toBe(303);
    await until('the retry to end', async () => {
      const page = await (await admin.get(`/runs/${failed.runId}`)).text();
      return page.includes('正在进行') ? undefined : true;
    });
    const retry = await cx.fx.warehouse('runs').where('id', '>', failed.runId).orderBy('id').first();
    expect([retry.pipeline, retry.partition_date, retry.status, retry.counts.read]).toEqual([
      PIPELINE,
      '2026-11-21',
      'completed',
      0,
    ]);
    // The grid keeps the day's failure, the empty retry noted …
    const grid = await (await admin.get(`/runs?pipeline=${PIPELINE}&from=2026-11-21&to=2026-11-21`)).text();
    expect(grid).toContain('data-status="failed-threshold"');
    expect(grid).toContain(`data-retried-empty="${retry.id}"`);
    // … and the metric agrees: the last success is still the good day's run.
    expect(await finishedAt(retry.id)).toBeGreaterThan(goodAt);
    expect(await lastSuccess()).toBeCloseTo(goodAt, 2);

    // A second empty retry of the same failed day changes nothing either.
    const again = await run('2026-11-21');
    expect([again.status, again.counts.read]).toEqual(['completed', 0]);
    expect(await lastSuccess()).toBeCloseTo(goodAt, 2);

    // The scheduled run of the next day finds no file: the pipeline ran and its source answered, a success as
    // before (`nothing-delivered` at expectedBy is the alert for a day without data).
    const nightly = await run('2026-11-22');
    expect([nightly.status, nightly.counts.read]).toEqual(['completed', 0]);
    expect(await lastSuccess()).toBeCloseTo(await finishedAt(nightly.runId), 2);
  });
});
