import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueuePipelineRun } from '../src/queue/enqueue-pipeline-run.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { openQueueFixture, type QueueFixture } from './support/queue-fixture.ts';
import { type RunningCli, runCli } from './support/run-cli.ts';
import { until } from './support/until.ts';

// A worker that lost only its liveness session lives on and finishes the file it is loading: no other worker's
// sweep may end its run under it. A run failed by the provider's file alone (a header) completes its job: a
// retry finds the file moved aside and cannot fix it.
describe('a live worker without its session is left to finish; a defective file completes its job (real processes, real PostgreSQL)', {
  timeout: 300_000,
}, () => {
  let q: QueueFixture;
  const rows = <T>(sql: string, bindings?: unknown[]) => q.rows<T>(sql, bindings);
  const runsOf = (jobId: string) =>
    rows<{ id: number; status: string; error: string | null; counts: { read?: number } }>(
      'SELECT id, status, error, counts FROM runs WHERE job_id = ? ORDER BY id',
      [jobId],
    );

  beforeAll(async () => {
    q = await openQueueFixture('queue_live');
  });
  afterAll(async () => {
    await q?.close();
  });

  /** One pipeline in a folder of its own, its inbox filled by `fill`. */
  const pipeline = async (name: string, attempts: number, fill: (inbox: string) => void) => {
    const { env, byName } = await q.pipelines(name, [{ name, attempts, fill }]);
    return { env, definition: byName.get(name)! };
  };

  it("a worker whose liveness session was terminated, still loading: another worker's sweep leaves its run and job alone until it lets the pipeline go", async () => {
    const { env, definition } = await pipeline('alive', 3, (inbox) => {
      for (let f = 0; f < 2; f++) writePenaltyCsv(inbox, `alive-${f}.csv`, 5_000, { seed: f + 1 });
    });
    // The first file's load waits on this transaction: the worker is loading it, for as long as the test needs.
    const blocker = new pg.Client({ connectionString: q.fx.url });
    await blocker.connect();
    const started: RunningCli[] = [];
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE source_files IN EXCLUSIVE MODE');
      const queued = await enqueuePipelineRun(q.queue, definition, { origin: 'manual' });
      const first = q.startWorker(env);
      started.push(first);
      await until('the first file waiting to load', async () => {
        const waiting = await rows(
          `SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'source_files'::regclass`,
        );
        return waiting.length > 0 ? true : undefined;
      });
      const [run] = await runsOf(queued.id);
      expect(run?.status, first.output()).toBe('running');

      // Its liveness session ended (a backend terminated, a connection cut): the process goes on loading.
      const name = `credit-etl worker ${os.hostname()}:${first.child.pid}`;
      const ended = await rows(
        'SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = ?',
        [name],
      );
      expect(ended).toHaveLength(1);
      await until('the worker told it lost its session', async () =>
        /lost its database session/.test(first.output()) ? true : undefined,
      );

      const second = q.startWorker(env);
      started.push(second);
      await until("the other worker's sweep looked at the job", async () =>
        /lost its worker|lost its worker's liveness lock/.test(second.output()) ? true : undefined,
      );
      // Its run not ended under it, its job not given away.
      expect((await runsOf(queued.id))[0], second.output()).toMatchObject({ id: run!.id, status: 'running' });
      expect(await q.job(queued.id)).toMatchObject({ state: 'active' });
      expect(second.output()).toMatch(
        new RegExp(
          `job ${queued.id} \\(pipeline-run alive \\S+\\) has lost its worker's liveness lock, but its run ${run!.id} is still loading in process ${first.child.pid}@`,
        ),
      );

      await blocker.query('COMMIT');
      const state = await q.untilEnded(queued.id);
      expect(state, `${first.output()}\n---\n${second.output()}`).toMatchObject({ state: 'completed' });
      // The first worker ended its run itself, with the file it loaded into it; nothing loaded twice.
      const runs = await runsOf(queued.id);
      expect(runs[0]).toMatchObject({ id: run!.id, status: 'interrupted', counts: { read: 5_000 } });
      expect(runs[0]?.error).toMatch(/lost its database session/);
      expect(runs.map((each) => each.error ?? '').join('\n')).not.toMatch(/process ended/);
      expect(runs.at(-1)).toMatchObject({ status: 'completed', counts: { read: 5_000 } });
      const loaded = await rows<{ name: string }>(
        `SELECT name FROM source_files WHERE status = 'loaded' AND name LIKE 'alive-%' ORDER BY name`,
      );
      expect(loaded.map((file) => file.name)).toEqual(['alive-0.csv', 'alive-1.csv']);
      for (const worker of [first, second]) worker.child.kill('SIGTERM');
      expect((await first.result).code).toBe(0);
      expect((await second.result).code).toBe(0);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
      // Failed midway: its workers must not take the next test's jobs.
      for (const worker of started) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
      await Promise.all(started.map((worker) => worker.result));
    }
  });

  it("a run failed by the provider's file alone (its header) completes the job, not retried; its failure is in the job's output and alerted once", async () => {
    q.receiver.posts.length = 0;
    const { env, definition } = await pipeline('defect', 3, (inbox) =>
      writeFileSync(path.join(inbox, 'bad.csv'), 'foo,bar\n1,2\n'),
    );
    const queued = await enqueuePipelineRun(q.queue, definition, { origin: 'manual' });
    const worker = q.startWorker(env);
    const state = await q.untilEnded(queued.id);
    worker.child.kill('SIGTERM');
    expect((await worker.result).code).toBe(0);
    const runs = await runsOf(queued.id);
    expect(runs, worker.output()).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'failed' });
    expect(state).toMatchObject({ state: 'completed', retry_count: 0 });
    expect(state.output).toMatchObject({ runId: runs[0]!.id, status: 'failed', retried: false });
    expect(String(state.output?.error)).toMatch(new RegExp(`^run ${runs[0]!.id} failed: bad.csv: `));
    const alerts = q.receiver.posts.map((post) => (post.body as { kind: string; key: string }).key);
    expect(alerts).toEqual(['run-failed:defect']);

    const shown = await runCli(['jobs', 'show', queued.id], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^job \S+ \(pipeline-run defect \S+\) completed$/m);
    expect(shown.stdout).toMatch(new RegExp(`^output: .*"runId":${runs[0]!.id}[,}]`, 'm'));
    expect(shown.stdout).toMatch(/^output: .*"status":"failed"/m);
    expect(shown.stdout).toMatch(new RegExp(`${runs[0]!.id}\\s+failed`));
  });
});
