import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobQueue } from '../src/queue/job-queue.ts';
import { END_RETRY, runWorker } from '../src/queue/run-worker.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { openQueueFixture, type QueueFixture, workerOptions } from './support/queue-fixture.ts';
import { refusedConnection } from './support/refused-connection.ts';
import { until } from './support/until.ts';

/** The fixture's queue, but its first `refusals` complete() calls meet a database that is not there. */
function withCompletionsRefused(queue: JobQueue, refusals: number, refused: Error) {
  const calls = { complete: 0 };
  const flaky: JobQueue = Object.create(queue);
  flaky.complete = async (...args) => {
    calls.complete++;
    if (calls.complete <= refusals) throw refused;
    return queue.complete(...args);
  };
  return { flaky, calls };
}

// A job whose work is done must not be failed (and run again) because its completion met the database down for a
// moment: the end is retried, and if the database stays away it is left to a sweep, never recorded as a failure.
describe('a job is completed through a short database outage, never failed for it (real pg-boss)', {
  timeout: 120_000,
}, () => {
  let q: QueueFixture;
  beforeAll(async () => {
    q = await openQueueFixture('queue_end_retried');
  });
  afterAll(async () => {
    await q?.close();
  });

  async function work(label: string, refusals: number) {
    const { byName } = await q.pipelines(label, [
      { name: label, attempts: 1, fill: (inbox) => writePenaltyCsv(inbox, `${label}.csv`, 20, { seed: 7 }) },
    ]);
    const { id } = await q.queue.enqueue(
      { kind: 'pipeline-run', pipeline: label, runKind: 'pipeline', partition: '2026-12-01' },
      { retryLimit: 2, retryDelaySeconds: 0 },
    );
    const { flaky, calls } = withCompletionsRefused(q.queue, refusals, await refusedConnection());
    const stop = new AbortController();
    const worker = runWorker(
      workerOptions(q, byName, { queue: flaky, signal: stop.signal, sweepMs: 60_000 }),
    );
    const tries = Math.min(refusals + 1, END_RETRY.attempts);
    await until(`the worker tried to complete the job ${tries} time(s)`, async () =>
      calls.complete >= tries ? true : undefined,
    );
    // A stopping worker still ends the job it ran: the tries go on, and the worker returns after them.
    stop.abort();
    const report = await worker;
    const runs = await q.rows<{ status: string; inserted: number }>(
      `SELECT status, (counts ->> 'inserted')::int AS inserted FROM runs WHERE pipeline = ?`,
      [label],
    );
    return { id, report, calls, runs };
  }

  it('refused twice, the third completion is recorded: completed once, no failure, no second run', async () => {
    const { id, report, calls, runs } = await work('refused_twice', 2);
    expect(calls.complete).toBe(3);
    expect(report).toMatchObject({ completed: 1, failed: 0 });
    expect(await q.job(id)).toMatchObject({ state: 'completed', retry_count: 0 });
    expect(runs).toEqual([{ status: 'completed', inserted: 20 }]);
  });

  it('refused on every try: the job is left active for a sweep, not failed', async () => {
    const { id, report, calls } = await work('refused_always', Number.POSITIVE_INFINITY);
    expect(calls.complete).toBe(END_RETRY.attempts);
    expect(report).toMatchObject({ completed: 0, failed: 0 });
    expect(await q.job(id)).toMatchObject({ state: 'active', retry_count: 0 });
  });
});
