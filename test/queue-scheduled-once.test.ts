import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../connectors/registry.ts';
import { createLogger } from '../src/log/logger.ts';
import { loadPipelines } from '../src/pipelines/load-pipelines.ts';
import type { PipelineDefinition } from '../src/pipelines/pipeline-definition.ts';
import { enqueuePipelineRun } from '../src/queue/enqueue-pipeline-run.ts';
import type { JobQueue } from '../src/queue/job-queue.ts';
import { openQueue } from '../src/queue/open-queue.ts';
import { tryPipelineLock } from '../src/warehouse/pipeline-lock.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

describe('one cron tick is one run, and a pipeline lock outlives no lost machine (real PostgreSQL)', {
  timeout: 120_000,
}, () => {
  let fx: WarehouseFixture;
  let queue: JobQueue;
  let pipeline: PipelineDefinition;

  beforeAll(async () => {
    fx = await openWarehouseFixture('queue_sched_once');
    queue = await openQueue(fx.url, { logger: createLogger({ console: false }), maintain: false });
    const dir = path.join(fx.scratch, 'pipelines');
    mkdirSync(dir);
    writeFileSync(
      path.join(dir, 'nightly.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370100MB28174284',
        level: 'city',
        transport: { type: 'drop-folder', directory: path.join(fx.scratch, 'inbox') },
      }),
    );
    const loaded = await loadPipelines(dir, TRANSPORTS);
    expect(loaded.problems).toEqual([]);
    pipeline = loaded.pipelines[0]!;
  });
  afterAll(async () => {
    await queue?.stop();
    await fx?.close();
  });

  it("a scheduler's send of a tick retried after the other scheduler's job of it completed (or was archived) makes no second job", async () => {
    const tick = new Date('2026-11-20T02:00:00+08:00');
    const first = await enqueuePipelineRun(queue, pipeline, { origin: 'scheduled', triggeredAt: tick });
    expect(first.created).toBe(true);
    // A worker runs it to the end.
    const job = await queue.fetch('pipelines');
    expect(job?.id).toBe(first.id);
    await queue.complete('pipelines', first.id, { status: 'completed' });

    // The other scheduler's send of the same tick, retried late: the completed job is the one.
    const late = await enqueuePipelineRun(queue, pipeline, { origin: 'scheduled', triggeredAt: tick });
    expect(late).toMatchObject({ id: first.id, created: false });

    // pg-boss has archived the completed job meanwhile: still the one.
    await fx.owner.raw(
      `WITH moved AS (DELETE FROM pgboss.job WHERE id = ? RETURNING *)
       INSERT INTO pgboss.archive (id, name, priority, data, state, retry_limit, retry_count, retry_delay,
         retry_backoff, start_after, started_on, singleton_key, singleton_on, expire_in, created_on, completed_on,
         keep_until, dead_letter, policy, output)
       SELECT id, name, priority, data, state, retry_limit, retry_count, retry_delay, retry_backoff, start_after,
         started_on, singleton_key, singleton_on, expire_in, created_on, completed_on, keep_until, dead_letter,
         policy, output FROM moved`,
      [first.id],
    );
    const archived = await enqueuePipelineRun(queue, pipeline, { origin: 'scheduled', triggeredAt: tick });
    expect(archived).toMatchObject({ id: first.id, created: false });
    const jobs = await fx.owner.raw<{ rows: unknown[] }>(
      `SELECT id FROM pgboss.job WHERE data->>'pipeline' = 'nightly'`,
    );
    expect(jobs.rows).toEqual([]);

    // A manual run of the same day after it is a new job: only a tick is once.
    const manual = await enqueuePipelineRun(queue, pipeline, {
      origin: 'manual',
      triggeredAt: new Date('2026-11-20T09:00:00+08:00'),
    });
    expect(manual.created).toBe(true);
  });

  it("the pipeline lock's session has the server probe it (tcp_keepalives_*), so a lost machine's lock goes in minutes", async () => {
    const clients: pg.Client[] = [];
    // The lock's own connection, caught as it connects (the real one: nothing stands in for the server).
    const connect = pg.Client.prototype.connect;
    const original = connect as unknown as (this: pg.Client) => Promise<void>;
    pg.Client.prototype.connect = function (this: pg.Client) {
      clients.push(this);
      return original.call(this);
    } as unknown as typeof connect;
    const lock = await tryPipelineLock(fx.warehouse, 'keepalive').finally(() => {
      pg.Client.prototype.connect = connect;
    });
    expect(lock).toBeDefined();
    try {
      expect(clients).toHaveLength(1);
      const setting = async (name: string) =>
        (await clients[0]!.query<Record<string, string>>(`SHOW ${name}`)).rows[0]?.[name];
      expect(await setting('tcp_keepalives_idle')).toBe('30');
      expect(await setting('tcp_keepalives_interval')).toBe('10');
      expect(await setting('tcp_keepalives_count')).toBe('6');
    } finally {
      await lock?.release();
    }
  });
});
