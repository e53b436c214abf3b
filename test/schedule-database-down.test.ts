import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../connectors/registry.ts';
import type { AlertEvent } from '../src/alerts/alert-event.ts';
import { loadPipelines } from '../src/pipelines/load-pipelines.ts';
import type { PipelineDefinition } from '../src/pipelines/pipeline-definition.ts';
import type { JobQueue } from '../src/queue/job-queue.ts';
import { openQueue } from '../src/queue/open-queue.ts';
import { queueScheduledRun } from '../src/schedule/queue-scheduled-run.ts';
import { type CuttableProxy, openCuttableProxy } from './support/cuttable-proxy.ts';
import { linesLogger } from './support/recording-logger.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// A trigger that fires while the database is down (restarting, unreachable) is queued once it is back; only
// when it cannot be queued before the pipeline's next trigger is it given up, said as an error and alerted.
describe('a scheduled trigger while the database is down (real PostgreSQL behind a cuttable proxy)', {
  timeout: 120_000,
}, () => {
  let fx: WarehouseFixture;
  let proxy: CuttableProxy;
  let queue: JobQueue;
  const lines: string[] = [];

  async function pipelineWithCron(name: string, cron: string): Promise<PipelineDefinition> {
    const dir = path.join(fx.scratch, name);
    mkdirSync(path.join(dir, 'inbox'), { recursive: true });
    writeFileSync(
      path.join(dir, `${name}.json`),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370100MB28174284',
        level: 'city',
        transport: { type: 'drop-folder', directory: path.join(dir, 'inbox') },
        schedule: { cron },
      }),
    );
    const { pipelines, problems } = await loadPipelines(dir, TRANSPORTS);
    expect(problems).toEqual([]);
    return pipelines[0]!;
  }
  const jobsOf = async (pipeline: string) =>
    (
      await fx.owner.raw<{ rows: { id: string; state: string }[] }>(
        `SELECT id, state::text AS state FROM pgboss.job WHERE data->>'pipeline' = ?`,
        [pipeline],
      )
    ).rows;

  beforeAll(async () => {
    fx = await openWarehouseFixture('schedule_db_down');
    proxy = await openCuttableProxy(fx.url);
    queue = await openQueue(proxy.url, { logger: linesLogger(lines), maintain: false });
  });
  afterEach(async () => proxy?.reopened());
  afterAll(async () => {
    await queue?.stop().catch(() => undefined);
    await proxy?.close();
    await fx?.close();
  });

  it('a nightly trigger while the database restarts is queued once it is back', async () => {
    const nightly = await pipelineWithCron('nightly', '0 2 * * *');
    proxy.cut(6000);
    const alerts: AlertEvent[] = [];
    await queueScheduledRun(queue, nightly, new Date(), {
      logger: linesLogger(lines),
      alerts: { alert: async (event) => void alerts.push(event) },
      signal: new AbortController().signal,
    });
    expect(await jobsOf('nightly')).toEqual([expect.objectContaining({ state: 'created' })]);
    expect(lines.some((line) => /^warn pipeline nightly: could not queue the run/.test(line))).toBe(true);
    expect(lines.some((line) => /^info pipeline nightly: queued job/.test(line))).toBe(true);
    expect(alerts).toEqual([]);
  });

  it('a trigger the database is down for until the next one is given up: an error and a run-failed alert', async () => {
    const often = await pipelineWithCron('often', '*/4 * * * * *');
    const scheduledAt = new Date(Math.floor(Date.now() / 4000) * 4000);
    proxy.cut(12_000);
    const alerts: AlertEvent[] = [];
    const started = Date.now();
    await queueScheduledRun(queue, often, scheduledAt, {
      logger: linesLogger(lines),
      alerts: { alert: async (event) => void alerts.push(event) },
      signal: new AbortController().signal,
    });
    // Given up before the next trigger (4 s), not after the outage.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(
      lines.some((line) => /^error pipeline often: the run triggered at .* was not queued/.test(line)),
    ).toBe(true);
    expect(alerts).toEqual([expect.objectContaining({ kind: 'run-failed', key: 'run-failed:often' })]);
    await proxy.reopened();
    expect(await jobsOf('often')).toEqual([]);
  });
});
