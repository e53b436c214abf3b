import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../src/alerts/alert-event.ts';
import { UsageError } from '../src/cli/exit-codes.ts';
import { createLogger } from '../src/log/logger.ts';
import { PipelineError } from '../src/pipelines/load-pipelines.ts';
import { enqueuePipelineRun } from '../src/queue/enqueue-pipeline-run.ts';
import type { JobContext } from '../src/queue/job-handlers.ts';
import type { PipelineRunJob } from '../src/queue/job-kinds.ts';
import type { QueuedJob } from '../src/queue/job-queue.ts';
import { runPipelineJob } from '../src/queue/pipeline-run-job.ts';
import { openQueueFixture, type QueueFixture } from './support/queue-fixture.ts';
import { until } from './support/until.ts';

// A queued run whose pipeline file can no longer be loaded (deleted, invalid, naming an entry or a field the
// catalog lacks) is a configuration error: every attempt would read the same file. Nothing runs; the job
// completes, not retried and not dead-lettered, and the operators get one `run-failed` alert saying why.
describe('a queued run whose pipeline file can no longer be loaded (real worker, real PostgreSQL)', {
  timeout: 300_000,
}, () => {
  let q: QueueFixture;

  beforeAll(async () => {
    q = await openQueueFixture('queue_not_loaded');
  });
  afterAll(async () => {
    await q?.close();
  });

  it('completes its job on the first attempt, runs nothing, is alerted run-failed once, never dead-lettered', async () => {
    const names = ['gone', 'invalid', 'unknown', 'unmapped'];
    const { env, dir, byName } = await q.pipelines(
      'notloaded',
      names.map((name) => ({ name, attempts: 3 })),
    );
    const jobs = new Map<string, string>();
    for (const name of names)
      jobs.set(name, (await enqueuePipelineRun(q.queue, byName.get(name)!, { origin: 'manual' })).id);

    // Changed after the jobs were queued: deleted, broken, an entry the catalog lacks, a mapping to no field.
    const file = (name: string) => path.join(dir, `${name}.json`);
    const definition = (name: string) =>
      JSON.parse(readFileSync(file(name), 'utf8')) as Record<string, unknown>;
    rmSync(file('gone'));
    writeFileSync(file('invalid'), '{ "catalog": ');
    writeFileSync(file('unknown'), JSON.stringify({ ...definition('unknown'), catalog: 'nope' }));
    writeFileSync(
      file('unmapped'),
      JSON.stringify({ ...definition('unmapped'), fieldMapping: { 处罚文书号: 'CF_WSHX' } }),
    );

    const worker = q.startWorker(env);
    await until('every job ended', async () => {
      for (const id of jobs.values()) {
        const state = (await q.job(id))?.state;
        if (state !== 'completed' && state !== 'failed') return undefined;
      }
      return true;
    });
    worker.child.kill('SIGTERM');
    expect((await worker.result).code).toBe(0);
    const output = worker.output();

    const reasons: Record<string, string> = {
      gone: `no pipeline "gone" in ${dir}`,
      invalid: `${file('invalid')}: (file): is not valid JSON`,
      unknown: `${file('unknown')}: /catalog: catalog entry "nope" not found`,
      unmapped: `${file('unmapped')}: /fieldMapping/处罚文书号: pipeline unmapped maps source column "处罚文书号" to "CF_WSHX"`,
    };
    for (const [name, id] of jobs) {
      expect(await q.job(id), `${name}: ${output}`).toMatchObject({
        state: 'completed',
        retry_count: 0,
        output: {
          runId: null,
          status: 'failed',
          retried: false,
          error: expect.stringContaining(reasons[name]!),
          why: expect.stringContaining(`pipeline ${name} cannot be loaded`),
        },
      });
      expect(output).toContain(`job ${id}: pipeline ${name} cannot be loaded`);
    }
    const deadLetters = await q.rows(`SELECT id FROM pgboss.job WHERE name = 'dead-letter'`);
    expect(deadLetters).toEqual([]);
    // Nothing ran: no run is recorded.
    for (const name of names)
      expect(await q.rows('SELECT id FROM runs WHERE pipeline = ?', [name])).toEqual([]);

    // One run-failed alert a job, saying why and how to run the day again; no dead-letter alert.
    const alerts = q.receiver.posts.map((post) => post.body as AlertEvent);
    expect(alerts.map((alert) => alert.key).sort()).toEqual(names.map((name) => `run-failed:${name}`));
    const unknown = alerts.find((alert) => alert.key === 'run-failed:unknown')!;
    expect(unknown.title).toMatch(/运行失败：管道 unknown 的定义文件无法加载，本次未运行$/);
    const partition = (
      await q.rows<{ data: { partition: string } }>('SELECT data FROM pgboss.job WHERE id = ?', [
        jobs.get('unknown'),
      ])
    )[0]!.data.partition;
    expect(unknown.lines).toEqual([
      `数据日期：${partition}`,
      expect.stringMatching(/^原因：.*\/catalog: catalog entry "nope" not found/),
      `任务 ${jobs.get('unknown')}（队列 pipelines）不再重试：管道文件改正前，重试同样失败`,
      `改正管道文件（credit-etl pipelines validate）后补跑：credit-etl backfill unknown --from ${partition} --to ${partition} --enqueue`,
      `详情：credit-etl jobs show ${jobs.get('unknown')}`,
    ]);
  });
});

// Loading a pipeline can fail for other reasons than its file (the provider registry unreadable, a fault): those
// fail the job, which the queue retries, as it retries a run failed by the infrastructure.
describe('what a pipeline-run job does when its pipeline does not load', () => {
  const job = (): QueuedJob =>
    ({
      id: 'job-1',
      queue: 'pipelines',
      retryCount: 0,
      retryLimit: 2,
    }) as QueuedJob;
  const data: PipelineRunJob = {
    kind: 'pipeline-run',
    pipeline: 'p',
    runKind: 'pipeline',
    partition: '2026-12-01',
  };
  const context = (failure: Error, alerts: AlertEvent[]) =>
    ({
      job: job(),
      logger: createLogger({ console: false }),
      pipeline: () => Promise.reject(failure),
      alerts: { alert: async (event: AlertEvent) => void alerts.push(event) },
    }) as unknown as JobContext;

  it('a fault (not the pipeline file) fails the job, to be retried, alerting nothing', async () => {
    const alerts: AlertEvent[] = [];
    const fault = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    await expect(runPipelineJob(data, context(fault, alerts))).rejects.toBe(fault);
    expect(alerts).toEqual([]);
  });

  it('the refused file (a PipelineError, as the CLI wraps it) completes the job, alerted once', async () => {
    const alerts: AlertEvent[] = [];
    const refused = new PipelineError([{ file: 'pipelines/p.json', path: '/catalog', message: 'not found' }]);
    const output = await runPipelineJob(
      data,
      context(new UsageError(refused.message, { cause: refused }), alerts),
    );
    expect(output).toMatchObject({ runId: null, status: 'failed', retried: false });
    expect(alerts.map((alert) => alert.key)).toEqual(['run-failed:p']);
  });
});
