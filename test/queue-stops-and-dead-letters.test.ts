import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../connectors/registry.ts';
import { createLogger } from '../src/log/logger.ts';
import { loadPipelines } from '../src/pipelines/load-pipelines.ts';
import type { PipelineDefinition } from '../src/pipelines/pipeline-definition.ts';
import { enqueuePipelineRun } from '../src/queue/enqueue-pipeline-run.ts';
import type { JobQueue } from '../src/queue/job-queue.ts';
import { openQueue } from '../src/queue/open-queue.ts';
import { type AlertReceiver, startAlertReceiver } from './support/alert-receivers.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { type RunningCli, startCli } from './support/run-cli.ts';
import { until } from './support/until.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// A worker stopped (SIGTERM: a deploy) or lost (kill -9, a machine gone) is no fault of its job: the job goes back
// to wait with no attempt counted, and the next worker loads the rest. A job that is dead-lettered (its last
// attempt failed) is alerted, once; a failed run is alerted `run-failed` only when no retry follows.
describe('jobs stopped with their worker are not failed; dead-lettered jobs are alerted (real processes, real PostgreSQL)', {
  timeout: 300_000,
}, () => {
  let fx: WarehouseFixture;
  let queue: JobQueue;
  let receiver: AlertReceiver;
  const workers: RunningCli[] = [];
  const rows = async <T>(sql: string, bindings: unknown[] = []) =>
    (await fx.owner.raw<{ rows: T[] }>(sql, bindings as never)).rows;
  const job = async (id: string) =>
    (
      await rows<{ state: string; retry_count: number; output: Record<string, unknown> | null }>(
        'SELECT state::text AS state, retry_count, output FROM pgboss.job WHERE id = ?',
        [id],
      )
    )[0];
  const deadLetters = (pipeline: string) =>
    rows<{ id: string }>(`SELECT id FROM pgboss.job WHERE name = 'dead-letter' AND data->>'pipeline' = ?`, [
      pipeline,
    ]);
  const alertsOf = (kind: string) =>
    receiver.posts
      .map((post) => post.body as { kind: string; key: string; title: string; text?: string })
      .filter((body) => body.kind === kind);

  beforeAll(async () => {
    fx = await openWarehouseFixture('queue_stops');
    queue = await openQueue(fx.url, { logger: createLogger({ console: false }), maintain: false });
    receiver = await startAlertReceiver();
    writeFileSync(
      path.join(fx.scratch, 'alerts.json'),
      JSON.stringify({ suppressMinutes: 0, channels: [{ type: 'webhook', url: `${receiver.url}/hook` }] }),
    );
  });
  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((worker) => worker.result));
    await queue?.stop();
    await receiver?.close();
    await fx?.close();
  });

  /** Pipelines of a folder of their own; each `files` big files in an inbox of its own (none: a missing folder). */
  async function pipelines(
    label: string,
    specs: { name: string; files: number; attempts: number }[],
  ): Promise<{
    env: NodeJS.ProcessEnv;
    dir: string;
    byName: Map<string, PipelineDefinition>;
    inbox(name: string): string;
  }> {
    const dir = path.join(fx.scratch, label, 'pipelines');
    mkdirSync(dir, { recursive: true });
    const inbox = (name: string) => path.join(fx.scratch, label, 'inbox', name);
    for (const [p, spec] of specs.entries()) {
      if (spec.files > 0) mkdirSync(inbox(spec.name), { recursive: true });
      for (let f = 0; f < spec.files; f++)
        writePenaltyCsv(inbox(spec.name), `${spec.name}-${f}.csv`, 20_000, { seed: 100 * p + f + 1 });
      writeFileSync(
        path.join(dir, `${spec.name}.json`),
        JSON.stringify({
          catalog: 'xzcf',
          provider: '11370100MB28174284',
          level: 'city',
          transport: {
            type: 'drop-folder',
            directory: inbox(spec.name),
            markerSuffixes: [],
            stableSizeMs: 0,
          },
          retry: { attempts: spec.attempts, backoffSeconds: 0 },
        }),
      );
    }
    const loaded = await loadPipelines(dir, TRANSPORTS);
    expect(loaded.problems).toEqual([]);
    const env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_PIPELINES_DIR: dir,
      CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, label, 'staging'),
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, label, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: fx.scratch,
      CREDIT_ETL_ALERTS_FILE: path.join(fx.scratch, 'alerts.json'),
    };
    return {
      env,
      dir,
      inbox,
      byName: new Map(loaded.pipelines.map((pipeline) => [pipeline.name, pipeline])),
    };
  }
  const startWorker = (env: NodeJS.ProcessEnv) => {
    const worker = startCli(['worker'], env);
    workers.push(worker);
    return worker;
  };
  /** Until a run of this worker's process is loading (its output, should it never get there). */
  const untilLoading = async (worker: RunningCli, pipeline: string) => {
    const loading = await until(`a run of ${pipeline} loading`, async () => {
      if (worker.child.exitCode !== null) return false;
      const running = await rows(
        `SELECT id FROM runs WHERE pipeline = ? AND status = 'running' AND pid = ?`,
        [pipeline, worker.child.pid],
      );
      return running.length > 0 ? true : undefined;
    }).catch(() => false);
    expect(loading, worker.output()).toBe(true);
  };
  const loadedFiles = async (pipeline: string) =>
    (
      await rows<{ name: string }>(
        `SELECT f.name FROM source_files f WHERE f.status = 'loaded' AND f.name LIKE ? ORDER BY f.name`,
        [`${pipeline}-%`],
      )
    ).map((row) => row.name);

  it('SIGTERM mid-run (one attempt allowed): the job goes back to wait, no attempt counted, and the next worker loads the rest', async () => {
    const { env, byName } = await pipelines('stop', [{ name: 'stopme', files: 2, attempts: 1 }]);
    const queued = await enqueuePipelineRun(queue, byName.get('stopme')!, { origin: 'manual' });
    const first = startWorker(env);
    await untilLoading(first, 'stopme');
    first.child.kill('SIGTERM');
    const { code } = await first.result;
    expect(code, first.output()).toBe(0);
    expect(first.output()).toMatch(/stopped with the worker: put back to wait, no attempt counted/);
    expect(first.output()).not.toMatch(/load on the next attempt/);
    expect(await job(queued.id)).toMatchObject({ state: 'created', retry_count: 0 });
    expect(await deadLetters('stopme')).toEqual([]);
    const interrupted = await rows(`SELECT id FROM runs WHERE job_id = ? AND status = 'interrupted'`, [
      queued.id,
    ]);
    expect(interrupted).toHaveLength(1);

    const second = startWorker(env);
    const state = await until('the job ended', async () => {
      const now = await job(queued.id);
      return now?.state === 'completed' || now?.state === 'failed' ? now : undefined;
    });
    expect(state).toMatchObject({ state: 'completed', retry_count: 0 });
    expect(await loadedFiles('stopme')).toEqual(['stopme-0.csv', 'stopme-1.csv']);
    second.child.kill('SIGTERM');
    expect((await second.result).code).toBe(0);
    expect(receiver.posts).toEqual([]);
  });

  it("kill -9 mid-load: the next worker's sweep puts the job back (no attempt counted) and loads it, nothing dead-lettered", async () => {
    const { env, byName } = await pipelines('kill', [{ name: 'killme', files: 2, attempts: 1 }]);
    const queued = await enqueuePipelineRun(queue, byName.get('killme')!, { origin: 'manual' });
    const first = startWorker(env);
    await untilLoading(first, 'killme');
    first.child.kill('SIGKILL');
    await first.result;
    const second = startWorker(env);
    const state = await until('the job ended', async () => {
      const now = await job(queued.id);
      return now?.state === 'completed' || now?.state === 'failed' ? now : undefined;
    });
    expect(state, second.output()).toMatchObject({ state: 'completed', retry_count: 0 });
    expect(second.output()).toMatch(
      /lost its worker: put back to wait, no attempt counted \(1 of 3 in a row\)/,
    );
    expect(await deadLetters('killme')).toEqual([]);
    expect(await loadedFiles('killme')).toEqual(['killme-0.csv', 'killme-1.csv']);
    second.child.kill('SIGTERM');
    expect((await second.result).code).toBe(0);
    expect(receiver.posts).toEqual([]);
  });

  it('a job dead-lettered is alerted once: job-dead-lettered (its pipeline file gone, its worker lost once too often), run-failed only on the last attempt', async () => {
    receiver.posts.length = 0;
    const { env, dir, byName } = await pipelines('dead', [
      { name: 'gone', files: 0, attempts: 2 },
      { name: 'broken', files: 0, attempts: 2 },
      { name: 'lost', files: 0, attempts: 1 },
    ]);
    // A job whose worker was lost 3 times in a row already, lost once more (fetched here, no liveness lock held).
    const lost = await enqueuePipelineRun(queue, byName.get('lost')!, { origin: 'manual' });
    const fetched = await queue.fetch('pipelines');
    expect(fetched?.id).toBe(lost.id);
    await fx.owner.raw(
      `UPDATE pgboss.job SET started_on = now() - interval '1 minute', output = '{"lostWorkers": 3}' WHERE id = ?`,
      [lost.id],
    );
    const gone = await enqueuePipelineRun(queue, byName.get('gone')!, { origin: 'manual' });
    const broken = await enqueuePipelineRun(queue, byName.get('broken')!, { origin: 'manual' });
    rmSync(path.join(dir, 'gone.json'));

    const worker = startWorker(env);
    await until('all three dead-lettered', async () =>
      (await deadLetters('gone')).length +
        (await deadLetters('broken')).length +
        (await deadLetters('lost')).length ===
      3
        ? true
        : undefined,
    );
    worker.child.kill('SIGTERM');
    const { code } = await worker.result;
    expect(code).toBe(0);
    const output = worker.output();
    expect(output).toMatch(
      new RegExp(`job ${gone.id} failed \\(dead-lettered after 2 attempt\\(s\\)\\): pipeline-run gone`),
    );
    expect(output).toMatch(new RegExp(`job ${broken.id} failed \\(dead-lettered after 2 attempt\\(s\\)\\)`));
    expect(output).toMatch(
      new RegExp(
        `job ${lost.id} \\(pipeline-run lost \\S+\\) lost its worker 4 times in a row: failed \\(dead-lettered\\)`,
      ),
    );

    // The broken feed's first attempt was retried: its run failed twice, alerted once (after its retries).
    expect(await rows(`SELECT id FROM runs WHERE pipeline = 'broken' AND status = 'failed'`)).toHaveLength(2);
    expect(alertsOf('run-failed').map((alert) => alert.key)).toEqual(['run-failed:broken']);
    // The jobs that ended with no run of theirs failing are alerted as dead-lettered, each once.
    expect(
      alertsOf('job-dead-lettered')
        .map((alert) => alert.key)
        .sort(),
    ).toEqual(['job-dead-lettered:gone', 'job-dead-lettered:lost']);
    expect(alertsOf('job-dead-lettered')[0]?.title).toMatch(/已转入死信队列/);
    expect(receiver.posts).toHaveLength(3);
  });
});
