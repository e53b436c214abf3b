import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log/logger.ts';
import { QUEUES } from '../src/queue/job-kinds.ts';
import type { JobQueue } from '../src/queue/job-queue.ts';
import { openQueue } from '../src/queue/open-queue.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// A queued run failed only by its files' own defects completes its job on purpose (no retry could help): `jobs
// list` says the run failed beside the job's `completed`, so an operator scanning the list does not miss it.
describe('jobs list: a completed job whose run failed says so (real CLI, real PostgreSQL)', () => {
  let fx: WarehouseFixture;
  let env: NodeJS.ProcessEnv;
  let queue: JobQueue;

  beforeAll(async () => {
    fx = await openWarehouseFixture('jobs-list-run-outcome');
    env = { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') };
    queue = await openQueue(fx.url, { logger: createLogger({ console: false }), maintain: false });
  });
  afterAll(async () => {
    await queue?.stop();
    await fx?.close();
  });

  /** A pipeline-run job taken and completed with the output the pipeline-run handler gives. */
  const completedJob = async (pipeline: string, output: Record<string, unknown>) => {
    const { id } = await queue.enqueue({ kind: 'pipeline-run', pipeline, runKind: 'manual' });
    const fetched = await queue.fetch(QUEUES.pipelines);
    expect(fetched?.id).toBe(id);
    await queue.complete(QUEUES.pipelines, id, output);
    return id;
  };

  it('shows `completed (run failed)` for a job completed on a run failed by its files, `completed` for a good run', {
    timeout: 60_000,
  }, async () => {
    const failed = await completedJob('defective', {
      runId: 41,
      status: 'failed',
      counts: {},
      error: 'run 41 failed: a-bad.csv: header-missing',
      retried: false,
    });
    const good = await completedJob('fine', { runId: 42, status: 'completed', counts: {} });
    const listed = await runCli(['jobs', 'list'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const lineOf = (id: string) => listed.stdout.split('\n').find((line) => line.includes(id)) ?? '';
    expect(lineOf(failed)).toMatch(/pipeline-run defective\s+completed \(run failed\)\s/);
    expect(lineOf(good)).toMatch(/pipeline-run fine\s+completed\s/);
    expect(lineOf(good)).not.toMatch(/\(run /);
  });
});
