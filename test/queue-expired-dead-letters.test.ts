import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log/logger.ts';
import { QUEUES } from '../src/queue/job-kinds.ts';
import { openQueue } from '../src/queue/open-queue.ts';
import { openQueueFixture, type QueueFixture } from './support/queue-fixture.ts';
import { until } from './support/until.ts';

// pg-boss's own expiry (a job active longer than its expireInSeconds: 6 hours by default) fails a job, and on its
// last attempt copies it to the dead-letter queue, in whichever process runs the queue's maintenance: none of the
// worker's own paths sees it. The workers' sweep finds such a job and alerts it (job-dead-lettered), once.
describe('a job failed by the queue’s own expiry is alerted as dead-lettered (real worker, real PostgreSQL)', {
  timeout: 180_000,
}, () => {
  let q: QueueFixture;
  beforeAll(async () => {
    q = await openQueueFixture('queue_expiry');
  });
  afterAll(async () => {
    await q?.close();
  });

  const deadLetteredAlerts = () =>
    q.receiver.posts
      .map((post) => post.body as { kind: string; title: string; text?: string })
      .filter((body) => body.kind === 'job-dead-lettered');

  it('expired on its last attempt: job-dead-lettered, naming the job and the expiry; told once', async () => {
    const { env } = await q.pipelines('expiry', [{ name: 'stuck', attempts: 1 }]);
    const { id } = await q.queue.enqueue(
      { kind: 'pipeline-run', pipeline: 'stuck', runKind: 'pipeline', partition: '2026-11-30' },
      { retryLimit: 0, expireInSeconds: 1 },
    );
    // Taken, and never ended (a worker hung on it): active until the queue's maintenance expires it.
    expect((await q.queue.fetch(QUEUES.pipelines))?.id).toBe(id);
    const maintainer = await openQueue(q.fx.url, {
      logger: createLogger({ console: false }),
      maintenanceIntervalSeconds: 1,
    });
    try {
      const expired = await until('the job expired', async () => {
        const job = await q.job(id);
        return job?.state === 'failed' ? job : undefined;
      });
      expect(expired.output).toEqual({ value: { message: 'job failed by timeout in active state' } });
    } finally {
      await maintainer.stop();
    }
    const copies = await q.rows(
      `SELECT id FROM pgboss.job WHERE name = 'dead-letter' AND data->>'pipeline' = 'stuck'`,
    );
    expect(copies).toHaveLength(1);

    const worker = q.startWorker(env);
    const [alert] = await until('the job-dead-lettered alert', async () => {
      const found = deadLetteredAlerts();
      return found.length > 0 ? found : undefined;
    });
    expect(alert?.title).toContain('pipeline-run stuck 2026-11-30');
    expect(alert?.text).toContain(id);
    expect(alert?.text).toMatch(/still active after 1 s, its expiry \(expireInSeconds\)/);
    expect((await q.job(id))?.output).toHaveProperty('deadLetterAlertedAt');
    // Later sweeps (every 5 s) find it told already.
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    expect(deadLetteredAlerts()).toHaveLength(1);
    worker.child.kill('SIGTERM');
    expect((await worker.result).code).toBe(0);
    expect(worker.output()).toMatch(
      new RegExp(
        `job ${id} \\(pipeline-run stuck 2026-11-30\\) failed \\(dead-lettered after 1 attempt\\(s\\)\\)`,
      ),
    );
  });

  // A worker whose job the expiry failed under it (its handler hung, then ended) must not tell the dead letter a
  // second time: it learns from complete()/fail() that nothing changed, and leaves the telling to the sweep.
  it('complete() and fail() say whether they changed the job: false once the expiry failed it, true while active', async () => {
    await q.pipelines('expiry-ended', [{ name: 'hung', attempts: 1 }]);
    const enqueue = () =>
      q.queue.enqueue(
        { kind: 'pipeline-run', pipeline: 'hung', runKind: 'pipeline', partition: '2026-11-30' },
        { retryLimit: 0, expireInSeconds: 1 },
      );
    const expiring = await enqueue();
    expect((await q.queue.fetch(QUEUES.pipelines))?.id).toBe(expiring.id);
    const maintainer = await openQueue(q.fx.url, {
      logger: createLogger({ console: false }),
      maintenanceIntervalSeconds: 1,
    });
    try {
      await until('the job expired', async () =>
        (await q.job(expiring.id))?.state === 'failed' ? true : undefined,
      );
    } finally {
      await maintainer.stop();
    }
    expect(await q.queue.fail(QUEUES.pipelines, expiring.id, { message: 'the handler failed late' })).toBe(
      false,
    );
    expect(await q.queue.complete(QUEUES.pipelines, expiring.id, { late: true })).toBe(false);
    expect((await q.job(expiring.id))?.output).toEqual({
      value: { message: 'job failed by timeout in active state' },
    });

    const active = await enqueue();
    expect((await q.queue.fetch(QUEUES.pipelines))?.id).toBe(active.id);
    expect(await q.queue.fail(QUEUES.pipelines, active.id, { message: 'failed while active' })).toBe(true);
    expect((await q.job(active.id))?.state).toBe('failed');
  });
});
