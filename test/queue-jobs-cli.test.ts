import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../connectors/registry.ts';
import { createLogger } from '../src/log/logger.ts';
import { loadPipelines } from '../src/pipelines/load-pipelines.ts';
import type { PipelineDefinition } from '../src/pipelines/pipeline-definition.ts';
import { enqueuePipelineRun } from '../src/queue/enqueue-pipeline-run.ts';
import { QUEUES } from '../src/queue/job-kinds.ts';
import type { JobQueue } from '../src/queue/job-queue.ts';
import { openQueue } from '../src/queue/open-queue.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

describe('queued runs: --enqueue, priorities, jobs retry|cancel (real PostgreSQL)', () => {
  let fx: WarehouseFixture;
  let env: NodeJS.ProcessEnv;
  let queue: JobQueue;
  let pipeline: PipelineDefinition;

  beforeAll(async () => {
    fx = await openWarehouseFixture('queue-cli');
    const pipelinesDir = path.join(fx.scratch, 'pipelines');
    mkdirSync(pipelinesDir);
    mkdirSync(path.join(fx.scratch, 'inbox'));
    writeFileSync(
      path.join(pipelinesDir, 'feed.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370100MB28174284',
        level: 'city',
        transport: { type: 'drop-folder', directory: path.join(fx.scratch, 'inbox') },
        retry: { attempts: 4, backoffSeconds: 5 },
      }),
    );
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_PIPELINES_DIR: pipelinesDir,
      CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, 'staging'),
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: fx.scratch,
    };
    queue = await openQueue(fx.url, { logger: createLogger({ console: false }), maintain: false });
    const loaded = await loadPipelines(pipelinesDir, TRANSPORTS);
    pipeline = loaded.pipelines[0]!;
  });
  afterAll(async () => {
    await queue?.stop();
    await fx?.close();
  });

  it('`run --enqueue` queues one job per pipeline and day: the second call gets the first job back', {
    timeout: 60_000,
  }, async () => {
    const first = await runCli(['run', 'feed', '--enqueue', '--json', '--max-rejected', '3'], env);
    expect(first.code).toBe(0);
    const [job] = JSON.parse(first.stdout) as { jobId: string; created: boolean; partition: string }[];
    expect(job).toMatchObject({ created: true });
    const second = await runCli(['run', 'feed', '--enqueue', '--json'], env);
    expect(JSON.parse(second.stdout)).toEqual([{ ...job, created: false }]);
    const shown = await runCli(['jobs', 'show', job!.jobId, '--json'], env);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      queue: QUEUES.pipelines,
      state: 'created',
      priority: 10,
      // The pipeline's retry: 4 attempts in all; the flag's threshold travels with the job.
      retry_limit: 3,
      data: {
        kind: 'pipeline-run',
        pipeline: 'feed',
        runKind: 'pipeline',
        partition: job!.partition,
        thresholds: { maxRejected: 3 },
      },
      runs: [],
    });

    // Cancelled, it no longer counts as pending: a new trigger queues a new job; retried, it waits again.
    const cancelled = await runCli(['jobs', 'cancel', job!.jobId], env);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain('created → cancelled');
    const again = await runCli(['jobs', 'cancel', job!.jobId], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('is cancelled');
    const retried = await runCli(['jobs', 'retry', job!.jobId], env);
    expect(retried.stdout).toContain('cancelled → created');
    const unknown = await runCli(['jobs', 'show', 'not-a-job'], env);
    expect(unknown.code).toBe(2);
  });

  it('`backfill --enqueue` queues one job per day, and a worker takes scheduled runs before backfill days', {
    timeout: 60_000,
  }, async () => {
    const backfill = await runCli(
      ['backfill', 'feed', '--from', '2026-10-01', '--to', '2026-10-03', '--enqueue'],
      env,
    );
    expect(backfill.code).toBe(0);
    expect(backfill.stdout).toMatch(/2026-10-01 .* new/);
    expect(backfill.stdout).toMatch(/2026-10-03 .* new/);
    // Queued after the backfill, the nightly run is still fetched first; then the oldest backfill day.
    await enqueuePipelineRun(queue, pipeline, {
      origin: 'scheduled',
      triggeredAt: new Date('2026-11-02T01:30:00+08:00'),
    });
    const order: string[] = [];
    for (;;) {
      const job = await queue.fetch(QUEUES.pipelines);
      if (!job) break;
      order.push(`${job.data.runKind} ${job.data.partition}`);
      await queue.complete(job.queue, job.id, {});
    }
    expect(order).toEqual([
      'pipeline 2026-11-01',
      // the job `run --enqueue` queued above (retried after its cancel)
      expect.stringMatching(/^pipeline /),
      'backfill 2026-10-01',
      'backfill 2026-10-02',
      'backfill 2026-10-03',
    ]);
  });
});
