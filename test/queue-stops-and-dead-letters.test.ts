import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueuePipelineRun } from '../src/queue/enqueue-pipeline-run.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { openQueueFixture, type QueueFixture, type QueuePipelineSpec } from './support/queue-fixture.ts';
import type { RunningCli } from './support/run-cli.ts';
import { until } from './support/until.ts';

// A worker stopped (SIGTERM: a deploy) or lost (kill -9, a machine gone) is no fault of its job: the job goes back
// to wait with no attempt counted, and the next worker loads the rest. A job that is dead-lettered (its last
// attempt failed) is alerted, once; a failed run is alerted `run-failed` only when no retry follows.
describe('jobs stopped with their worker are not failed; dead-lettered jobs are alerted (real processes, real PostgreSQL)', {
  timeout: 300_000,
}, () => {
  let q: QueueFixture;
  const rows = <T>(sql: string, bindings?: unknown[]) => q.rows<T>(sql, bindings);
  const deadLetters = (pipeline: string) =>
    rows<{ id: string }>(`SELECT id FROM pgboss.job WHERE name = 'dead-letter' AND data->>'pipeline' = ?`, [
      pipeline,
    ]);
  const alertsOf = (kind: string) =>
    q.receiver.posts
      .map((post) => post.body as { kind: string; key: string; title: string; text?: string })
      .filter((body) => body.kind === kind);

  beforeAll(async () => {
    q = await openQueueFixture('queue_stops');
  });
  afterAll(async () => {
    await q?.close();
  });

  /** Pipelines of a folder of their own; each `files` big files in an inbox of its own (none: a missing folder). */
  const pipelines = (label: string, specs: { name: string; files: number; attempts: number }[]) =>
    q.pipelines(
      label,
      specs.map(
        (spec, p): QueuePipelineSpec => ({
          name: spec.name,
          attempts: spec.attempts,
          fill:
            spec.files > 0
              ? (inbox) => {
                  for (let f = 0; f < spec.files; f++)
                    writePenaltyCsv(inbox, `${spec.name}-${f}.csv`, 20_000, { seed: 100 * p + f + 1 });
                }
              : undefined,
        }),
      ),
    );
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
    const queued = await enqueuePipelineRun(q.queue, byName.get('stopme')!, { origin: 'manual' });
    const first = q.startWorker(env);
    await untilLoading(first, 'stopme');
    first.child.kill('SIGTERM');
    const { code } = await first.result;
    expect(code, first.output()).toBe(0);
    expect(first.output()).toMatch(/stopped with the worker: put back to wait, no attempt counted/);
    expect(first.output()).not.toMatch(/load on the next attempt/);
    expect(await q.job(queued.id)).toMatchObject({ state: 'created', retry_count: 0 });
    expect(await deadLetters('stopme')).toEqual([]);
    const interrupted = await rows(`SELECT id FROM runs WHERE job_id = ? AND status = 'interrupted'`, [
      queued.id,
    ]);
    expect(interrupted).toHaveLength(1);

    const second = q.startWorker(env);
    const state = await q.untilEnded(queued.id);
    expect(state).toMatchObject({ state: 'completed', retry_count: 0 });
    expect(await loadedFiles('stopme')).toEqual(['stopme-0.csv', 'stopme-1.csv']);
    second.child.kill('SIGTERM');
    expect((await second.result).code).toBe(0);
    expect(q.receiver.posts).toEqual([]);
  });

  it("kill -9 mid-load: the next worker's sweep puts the job back (no attempt counted) and loads it, nothing dead-lettered", async () => {
    const { env, byName } = await pipelines('kill', [{ name: 'killme', files: 2, attempts: 1 }]);
    const queued = await enqueuePipelineRun(q.queue, byName.get('killme')!, { origin: 'manual' });
    const first = q.startWorker(env);
    await untilLoading(first, 'killme');
    first.child.kill('SIGKILL');
    await first.result;
    const second = q.startWorker(env);
    const state = await q.untilEnded(queued.id);
    expect(state, second.output()).toMatchObject({ state: 'completed', retry_count: 0 });
    expect(second.output()).toMatch(
      /lost its worker: put back to wait, no attempt counted \(1 of 3 in a row\)/,
    );
    expect(await deadLetters('killme')).toEqual([]);
    expect(await loadedFiles('killme')).toEqual(['killme-0.csv', 'killme-1.csv']);
    second.child.kill('SIGTERM');
    expect((await second.result).code).toBe(0);
    expect(q.receiver.posts).toEqual([]);
  });

  it('a job dead-lettered is alerted once: job-dead-lettered (its worker lost once too often); a run failed by its configuration, or a pipeline file gone, is not retried, alerted run-failed once', async () => {
    q.receiver.posts.length = 0;
    const { env, dir, byName } = await pipelines('dead', [
      { name: 'gone', files: 0, attempts: 2 },
      { name: 'broken', files: 0, attempts: 2 },
      { name: 'lost', files: 0, attempts: 1 },
    ]);
    // A job whose worker was lost 3 times in a row already, lost once more (fetched here, no liveness lock held).
    const lost = await enqueuePipelineRun(q.queue, byName.get('lost')!, { origin: 'manual' });
    const fetched = await q.queue.fetch('pipelines');
    expect(fetched?.id).toBe(lost.id);
    await q.fx.owner.raw(
      `UPDATE pgboss.job SET started_on = now() - interval '1 minute', output = '{"lostWorkers": 3}' WHERE id = ?`,
      [lost.id],
    );
    const gone = await enqueuePipelineRun(q.queue, byName.get('gone')!, { origin: 'manual' });
    const broken = await enqueuePipelineRun(q.queue, byName.get('broken')!, { origin: 'manual' });
    rmSync(path.join(dir, 'gone.json'));

    const worker = q.startWorker(env);
    const ended = async (id: string) => ['completed', 'failed'].includes((await q.job(id))?.state ?? '');
    await until('one dead-lettered, the broken and gone feeds’ jobs ended', async () =>
      (await deadLetters('lost')).length === 1 && (await ended(broken.id)) && (await ended(gone.id))
        ? true
        : undefined,
    );
    worker.child.kill('SIGTERM');
    const { code } = await worker.result;
    expect(code).toBe(0);
    const output = worker.output();
    // Its pipeline file is gone: a configuration error too. Nothing runs; the job completes, not retried.
    expect(await q.job(gone.id)).toMatchObject({
      state: 'completed',
      retry_count: 0,
      output: {
        runId: null,
        status: 'failed',
        retried: false,
        why: expect.stringContaining('cannot be loaded'),
      },
    });
    expect(await deadLetters('gone')).toEqual([]);
    // Its drop directory does not exist: a configuration error, which another attempt cannot fix. The job
    // completes on its one failed run, not retried, not dead-lettered.
    expect(await q.job(broken.id)).toMatchObject({
      state: 'completed',
      retry_count: 0,
      output: { status: 'failed', retried: false, why: expect.stringContaining('drop-directory-missing') },
    });
    expect(await deadLetters('broken')).toEqual([]);
    expect(output).toMatch(
      new RegExp(
        `job ${lost.id} \\(pipeline-run lost \\S+\\) lost its worker 4 times in a row: failed \\(dead-lettered\\)`,
      ),
    );

    // The broken feed's run failed once (not retried), alerted once; the gone feed's job ran nothing, alerted once.
    expect(await rows(`SELECT id FROM runs WHERE pipeline = 'broken' AND status = 'failed'`)).toHaveLength(1);
    expect(
      alertsOf('run-failed')
        .map((alert) => alert.key)
        .sort(),
    ).toEqual(['run-failed:broken', 'run-failed:gone']);
    // The job that ended with no run of its own failing is alerted as dead-lettered, once.
    expect(alertsOf('job-dead-lettered').map((alert) => alert.key)).toEqual(['job-dead-lettered:lost']);
    expect(alertsOf('job-dead-lettered')[0]?.title).toMatch(/已转入死信队列/);
    expect(q.receiver.posts).toHaveLength(3);
  });
});
