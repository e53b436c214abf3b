import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../connectors/registry.ts';
import { createLogger } from '../src/log/logger.ts';
import { loadPipelines } from '../src/pipelines/load-pipelines.ts';
import { enqueuePipelineRun } from '../src/queue/enqueue-pipeline-run.ts';
import type { JobQueue } from '../src/queue/job-queue.ts';
import { openQueue } from '../src/queue/open-queue.ts';
import { type CuttableProxy, openCuttableProxy } from './support/cuttable-proxy.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { type RunningCli, startCli } from './support/run-cli.ts';
import { until } from './support/until.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// A database restart (every connection cut, new ones refused for a while) does not end a worker or the
// scheduler of `schedule --with-worker`: the worker opens a new session once the server is back and takes the
// jobs queued after it.
describe('workers and `schedule --with-worker` outlive a database restart (real PostgreSQL behind a cuttable proxy)', {
  timeout: 180_000,
}, () => {
  let fx: WarehouseFixture;
  let proxy: CuttableProxy;
  let queue: JobQueue;
  const processes: RunningCli[] = [];

  beforeAll(async () => {
    fx = await openWarehouseFixture('worker_reconnect');
    proxy = await openCuttableProxy(fx.url);
    // Straight to the server: the test's own queue is not cut.
    queue = await openQueue(fx.url, { logger: createLogger({ console: false }), maintain: false });
  });
  afterEach(async () => proxy?.reopened());
  afterAll(async () => {
    for (const running of processes) running.child.kill('SIGKILL');
    await Promise.all(processes.map((running) => running.result));
    await queue?.stop();
    await proxy?.close();
    await fx?.close();
  });

  /** A drop-folder pipeline with one small delivery; its environment points the CLI at the proxy. */
  async function feed(name: string, extra: Record<string, unknown> = {}) {
    const dir = path.join(fx.scratch, name);
    const inbox = path.join(dir, 'inbox');
    mkdirSync(inbox, { recursive: true });
    writePenaltyCsv(inbox, `${name}.csv`, 50, { seed: name.length });
    writeFileSync(
      path.join(dir, `${name}.json`),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370100MB28174284',
        level: 'city',
        transport: { type: 'drop-folder', directory: inbox, markerSuffixes: [], stableSizeMs: 0 },
        ...extra,
      }),
    );
    const { pipelines, problems } = await loadPipelines(dir, TRANSPORTS);
    expect(problems).toEqual([]);
    const env = {
      DATABASE_URL: proxy.url,
      CREDIT_ETL_PIPELINES_DIR: dir,
      CREDIT_ETL_STAGING_DIR: path.join(dir, 'staging'),
      CREDIT_ETL_LOG_FILE: path.join(dir, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: fx.scratch,
    };
    return { pipeline: pipelines[0]!, env };
  }
  const completed = async (id: string) => {
    const { rows } = await fx.owner.raw<{ rows: { state: string }[] }>(
      `SELECT state::text AS state FROM pgboss.job WHERE id = ? UNION ALL
       SELECT state::text FROM pgboss.archive WHERE id = ?`,
      [id, id],
    );
    return rows[0]?.state === 'completed' ? true : undefined;
  };

  for (const command of [['worker'], ['schedule', '--with-worker']]) {
    it(`\`${command.join(' ')}\` reconnects after the restart and runs the jobs queued after it`, async () => {
      const name = command.length === 1 ? 'plain' : 'embedded';
      // The scheduler needs a scheduled pipeline: one far in the future.
      const { pipeline, env } = await feed(
        name,
        command.length === 1 ? {} : { schedule: { cron: '0 0 1 1 *' } },
      );
      const running = startCli(command, env);
      processes.push(running);
      await until('the worker to start', async () =>
        /worker started/.test(running.output()) ? true : undefined,
      );
      await sleep(1000);
      proxy.cut(4000);
      await proxy.reopened();
      const job = await enqueuePipelineRun(queue, pipeline, { origin: 'manual' });
      await until(`job ${job.id} completed by the reconnected worker`, async () => {
        if (running.child.exitCode !== null)
          throw new Error(
            `${command.join(' ')} exited ${running.child.exitCode}: ${running.output().slice(-1500)}`,
          );
        return completed(job.id);
      });
      expect(running.child.exitCode).toBeNull();
      expect(running.output()).toMatch(/worker reconnected to the database/);
      running.child.kill('SIGTERM');
      const result = await running.result;
      expect(result.code, result.stderr.slice(-2000)).toBe(0);
    });
  }
});
