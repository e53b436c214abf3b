import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../connectors/registry.ts';
import { createLogger } from '../src/log/logger.ts';
import { loadPipelines } from '../src/pipelines/load-pipelines.ts';
import { enqueuePipelineRun } from '../src/queue/enqueue-pipeline-run.ts';
import type { JobQueue } from '../src/queue/job-queue.ts';
import { openQueue } from '../src/queue/open-queue.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { type RunningCli, runCli, startCli } from './support/run-cli.ts';
import { until } from './support/until.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// A backfill day whose pipeline is locked by another process (a long day of the same pipeline, a nightly run)
// has not started: it waits for the lock however long that takes, and is never failed or dead-lettered for it.
describe('a queued run finding its pipeline locked waits without losing an attempt (real PostgreSQL)', {
  timeout: 180_000,
}, () => {
  let fx: WarehouseFixture;
  let queue: JobQueue;
  let holder: pg.Client;
  let worker: RunningCli | undefined;

  beforeAll(async () => {
    fx = await openWarehouseFixture('queue_locked');
    queue = await openQueue(fx.url, { logger: createLogger({ console: false }), maintain: false });
    holder = new pg.Client({ connectionString: fx.url });
    await holder.connect();
  });
  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await worker?.result;
    await holder?.end();
    await queue?.stop();
    await fx?.close();
  });

  it('a job of a locked pipeline is put back (no attempt counted, never dead-lettered), then runs once the lock is free', async () => {
    const inbox = path.join(fx.scratch, 'inbox', '2026-11-01');
    const pipelinesDir = path.join(fx.scratch, 'pipelines');
    mkdirSync(inbox, { recursive: true });
    mkdirSync(pipelinesDir);
    writePenaltyCsv(inbox, 'day.csv', 200, { seed: 7 });
    writeFileSync(
      path.join(pipelinesDir, 'bf.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370100MB28174284',
        level: 'city',
        transport: {
          type: 'drop-folder',
          directory: path.join(fx.scratch, 'inbox', '{date}'),
          markerSuffixes: [],
          stableSizeMs: 0,
        },
        retry: { attempts: 2, backoffSeconds: 1 },
      }),
    );
    const { pipelines, problems } = await loadPipelines(pipelinesDir, TRANSPORTS);
    expect(problems).toEqual([]);
    // Another process runs pipeline bf: it holds the pipeline's lock (src/warehouse/pipeline-lock.ts).
    await holder.query('SELECT pg_advisory_lock(hashtext($1))', ['credit-etl:pipeline:bf']);
    const job = await enqueuePipelineRun(queue, pipelines[0]!, {
      origin: 'backfill',
      partition: '2026-11-01',
    });
    const env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_PIPELINES_DIR: pipelinesDir,
      CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, 'staging'),
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: fx.scratch,
    };
    worker = startCli(['worker'], env);
    const state = async () =>
      (
        await fx.owner.raw<{ rows: { state: string; retry_count: number; started_on: Date | null }[] }>(
          'SELECT state::text AS state, retry_count, started_on FROM pgboss.job WHERE id = ?',
          [job.id],
        )
      ).rows[0];
    // Three looks at the locked pipeline: more than the job's 2 attempts, had each cost one.
    await until('the worker to take the job three times (or fail it)', async () =>
      (worker!.output().match(/started: pipeline-run bf/g) ?? []).length >= 3 ||
      (await state())?.state === 'failed'
        ? true
        : undefined,
    );
    expect(['created', 'active']).toContain((await state())?.state);
    expect((await fx.owner.raw(`SELECT id FROM pgboss.job WHERE name = 'dead-letter'`)).rows).toEqual([]);
    const waiting = await until('the job waiting again', async () =>
      (await state())?.state === 'created' ? true : undefined,
    );
    expect(waiting).toBe(true);
    const shown = await runCli(['jobs', 'show', job.id], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/waits for pipeline bf's lock/);
    expect(shown.stdout).toMatch(/attempts 0\/2/);
    expect(shown.stdout).toMatch(/runs: none yet/);

    // The other process ends: the job runs on its first attempt and loads the day.
    await holder.query('SELECT pg_advisory_unlock(hashtext($1))', ['credit-etl:pipeline:bf']);
    await until('the job completed', async () => ((await state())?.state === 'completed' ? true : undefined));
    expect((await state())?.retry_count).toBe(0);
    expect(readdirSync(inbox).filter((name) => name.endsWith('.csv'))).toEqual([]);
    const loaded = await fx.owner.raw<{ rows: { name: string }[] }>(
      `SELECT name FROM source_files WHERE status = 'loaded'`,
    );
    expect(loaded.rows.map((row) => row.name)).toEqual(['day.csv']);
    expect((await fx.owner.raw(`SELECT id FROM pgboss.job WHERE name = 'dead-letter'`)).rows).toEqual([]);

    worker.child.kill('SIGTERM');
    const { code, stdout, stderr } = await worker.result;
    worker = undefined;
    expect(code).toBe(0);
    expect(stdout + stderr).toMatch(/put back to wait for a locked pipeline/);
  });
});
