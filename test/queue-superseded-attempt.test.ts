import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log/logger.ts';
import { QUEUES } from '../src/queue/job-kinds.ts';
import type { QueuedJob } from '../src/queue/job-queue.ts';
import { openQueue } from '../src/queue/open-queue.ts';
import { deferActiveJob } from '../src/warehouse/queue-jobs-repository.ts';
import { openQueueFixture, type QueueFixture } from './support/queue-fixture.ts';
import { until } from './support/until.ts';

// pg-boss's expiry fails an attempt active past its expireInSeconds; with attempts left the job goes back to
// `retry` and another worker may take it. The first worker, still running the old attempt, ends it late: its
// complete() or fail() must end nothing (pg-boss alone matches by id and state, and would end the retry).
describe('a late complete() or fail() ends only its own attempt, not the retry another worker runs (real pg-boss)', {
  timeout: 120_000,
}, () => {
  let q: QueueFixture;
  beforeAll(async () => {
    q = await openQueueFixture('queue_superseded');
  });
  afterAll(async () => {
    await q?.close();
  });

  it('attempt 1 expired and retried: its fail() and complete() return false and leave attempt 2 active', async () => {
    await q.pipelines('superseded', [{ name: 'slow', attempts: 2 }]);
    const { id } = await q.queue.enqueue(
      { kind: 'pipeline-run', pipeline: 'slow', runKind: 'pipeline', partition: '2026-12-01' },
      { retryLimit: 1, retryDelaySeconds: 0, expireInSeconds: 1 },
    );
    const first = await q.queue.fetch(QUEUES.pipelines);
    expect(first?.id).toBe(id);
    // The queue's maintenance expires attempt 1 (one attempt left: back to `retry`), then stops before attempt 2
    // is taken, so attempt 2 stays active however long it runs.
    const maintainer = await openQueue(q.fx.url, {
      logger: createLogger({ console: false }),
      maintenanceIntervalSeconds: 1,
    });
    try {
      await until('attempt 1 expired into a retry', async () =>
        (await q.job(id))?.state === 'retry' ? true : undefined,
      );
    } finally {
      await maintainer.stop();
    }
    const attempt1 = first as QueuedJob;
    const late = { message: 'attempt 1 failed late' };
    // Waiting for its retry: attempt 1's late fail() does not fail it again.
    expect(await q.queue.fail(QUEUES.pipelines, id, late, attempt1)).toBe(false);
    expect(await q.job(id)).toMatchObject({
      state: 'retry',
      output: { value: { message: 'job failed by timeout in active state' } },
    });

    const second = await until('attempt 2 fetched', () => q.queue.fetch(QUEUES.pipelines));
    expect(second.id).toBe(id);
    expect(second.retryCount).toBe(1);
    expect(second.startedOn?.getTime()).toBeGreaterThan(attempt1.startedOn?.getTime() ?? 0);

    expect(await q.queue.complete(QUEUES.pipelines, id, { attempt: 1 }, attempt1)).toBe(false);
    expect(await q.queue.fail(QUEUES.pipelines, id, late, attempt1)).toBe(false);
    // Nor does putting attempt 1 back to wait (its worker stopping, or a sweep that found it lost) touch attempt 2.
    const session = new pg.Client({ connectionString: q.fx.url });
    await session.connect();
    try {
      expect(
        await deferActiveJob(session, id, attempt1.startedOn, 0, { waiting: 'attempt 1 put back' }),
      ).toBe(false);
    } finally {
      await session.end();
    }
    expect(await q.job(id)).toMatchObject({ state: 'active', retry_count: 1 });

    expect(await q.queue.complete(QUEUES.pipelines, id, { attempt: 2 }, second)).toBe(true);
    expect(await q.job(id)).toMatchObject({ state: 'completed', output: { attempt: 2 } });
  });
});
