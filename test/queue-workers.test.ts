import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../connectors/registry.ts';
import { createLogger } from '../src/log/logger.ts';
import { loadPipelines } from '../src/pipelines/load-pipelines.ts';
import { enqueuePipelineRun } from '../src/queue/enqueue-pipeline-run.ts';
import type { JobQueue } from '../src/queue/job-queue.ts';
import { openQueue } from '../src/queue/open-queue.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { type RunningCli, runCli, startCli } from './support/run-cli.ts';
import { until as waitUntil } from './support/until.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/** Whole queues of feeds run here: waited for longer, and asked less often, than one job. */
const until = <T>(what: string, check: () => Promise<T | undefined>) =>
  waitUntil(what, check, { timeoutMs: 150_000, everyMs: 500 });

const PIPELINES = 20;
const FILES_PER_PIPELINE = 2;
const ROWS_PER_FILE = 300;
/** Four pipelines share a queue capped at 2 jobs at once (one provider's SFTP server). */
const CAPPED = { name: 'sftp-jinan', concurrency: 2 };
const KILLS = 3;

describe('job queue: scheduler and workers as real processes on real PostgreSQL', () => {
  let fx: WarehouseFixture;
  let env: NodeJS.ProcessEnv;
  let pipelinesDir: string;
  let queue: JobQueue;
  const workers: RunningCli[] = [];
  const inbox = (name: string) => path.join(fx.scratch, 'inbox', name);
  const rows = async <T>(sql: string, bindings: unknown[] = []) =>
    (await fx.owner.raw<{ rows: T[] }>(sql, bindings as never)).rows;
  /** Every job ever made (pg-boss moves finished jobs to its archive after a while). */
  const jobs = <T>(where: string, bindings: unknown[] = []) =>
    rows<T>(
      `SELECT * FROM (SELECT id, name, state::text AS state, data, output, retry_count, singleton_key FROM pgboss.job
         UNION ALL SELECT id, name, state::text, data, output, retry_count, singleton_key FROM pgboss.archive) j
       WHERE ${where}`,
      bindings,
    );

  beforeAll(async () => {
    fx = await openWarehouseFixture('queue');
    pipelinesDir = path.join(fx.scratch, 'pipelines');
    mkdirSync(pipelinesDir);
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_PIPELINES_DIR: pipelinesDir,
      CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, 'staging'),
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: fx.scratch,
    };
    queue = await openQueue(fx.url, { logger: createLogger({ console: false }), maintain: false });
  });
  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((worker) => worker.result));
    await queue?.stop();
    await fx?.close();
  });

  it('3 workers, 20 pipelines, SIGTERM and kill -9 during loads: every file loaded once, counts add up, no job lost, capped queue respected; a job failing every attempt is dead-lettered with its error', {
    timeout: 300_000,
  }, async () => {
    const delivered: string[] = [];
    for (let p = 0; p < PIPELINES; p++) {
      const name = `feed-${String(p).padStart(2, '0')}`;
      mkdirSync(inbox(name), { recursive: true });
      for (let f = 0; f < FILES_PER_PIPELINE; f++) {
        const file = `${name}-${f}.csv`;
        writePenaltyCsv(inbox(name), file, ROWS_PER_FILE, { seed: 100 * p + f + 1 });
        writeFileSync(path.join(inbox(name), `${file}.ok`), '');
        delivered.push(file);
      }
      writeFileSync(
        path.join(pipelinesDir, `${name}.json`),
        JSON.stringify({
          catalog: 'xzcf',
          provider: '11370100MB28174284',
          level: 'city',
          transport: { type: 'drop-folder', directory: inbox(name) },
          // One attempt: a kill or a stop costs a job none (it is put back to wait), so none is dead-lettered.
          retry: { attempts: 1, backoffSeconds: 1 },
          ...(p < 4 ? { queue: CAPPED } : {}),
        }),
      );
    }
    // A feed whose file can never be moved aside (`processed` is a file, not a folder) fails every attempt, by
    // the platform's fault: retried, dead-lettered after its second. (A missing folder is a configuration error:
    // its job completes on one failed run, not retried.)
    mkdirSync(inbox('broken'), { recursive: true });
    writePenaltyCsv(inbox('broken'), 'broken-0.csv', 5, { seed: 9999 });
    writeFileSync(path.join(inbox('broken'), 'broken-0.csv.ok'), '');
    writeFileSync(path.join(inbox('broken'), 'processed'), '');
    writeFileSync(
      path.join(pipelinesDir, 'broken.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370100MB28174284',
        level: 'city',
        transport: { type: 'drop-folder', directory: inbox('broken') },
        retry: { attempts: 2, backoffSeconds: 0 },
      }),
    );
    const { pipelines, problems } = await loadPipelines(pipelinesDir, TRANSPORTS);
    expect(problems).toEqual([]);
    const feeds = pipelines.filter((pipeline) => pipeline.name !== 'broken');
    for (const pipeline of feeds) await enqueuePipelineRun(queue, pipeline, { origin: 'manual' });

    const startWorker = () => {
      const worker = startCli(['worker', '--concurrency', '2'], env);
      workers.push(worker);
      return worker;
    };
    const live = new Set<RunningCli>([startWorker(), startWorker(), startWorker()]);
    const pipelineJobs = `name <> 'dead-letter' AND data->>'pipeline' LIKE 'feed-%'`;
    let kills = 0;
    let stoppedCode: number | null | undefined;
    let cappedPeak = 0;
    await until('every feed job completed', async () => {
      // The cap bounds what runs at once: runs of the capped feeds in live workers. (A killed worker's job stays
      // `active` in pg-boss until a sweep fails it, while its slot was already freed with its session.)
      const livePids = [...live].map((worker) => Number(worker.child.pid));
      const capped = await rows<{ id: number }>(
        `SELECT id FROM runs WHERE status = 'running' AND pipeline IN ('feed-00', 'feed-01', 'feed-02', 'feed-03')
           AND pid IN (${livePids.join(', ')})`,
      );
      cappedPeak = Math.max(cappedPeak, capped.length);
      // SIGTERM a worker that is loading right now (a run of its process is running): it finishes its file and
      // exits 0. Then kill -9 three that are loading. Each is replaced by a new worker.
      if (kills < KILLS || stoppedCode === undefined) {
        const pids = [...live].map((worker) => Number(worker.child.pid));
        const loading = await rows<{ pid: number }>(
          `SELECT DISTINCT pid FROM runs WHERE status = 'running' AND pid IN (${pids.join(', ')})`,
        );
        const victim = [...live].find((worker) => worker.child.pid === loading[0]?.pid);
        if (victim) {
          const stopping = stoppedCode === undefined;
          victim.child.kill(stopping ? 'SIGTERM' : 'SIGKILL');
          const { code } = await victim.result;
          if (stopping) stoppedCode = code;
          else kills++;
          live.delete(victim);
          live.add(startWorker());
        }
      }
      const done = await jobs<{ id: string }>(`${pipelineJobs} AND state = 'completed'`);
      return done.length === PIPELINES ? done : undefined;
    });
    expect(kills).toBe(KILLS);
    expect(stoppedCode).toBe(0);

    // No job lost: each feed's one job completed; none waits, none failed, nothing of theirs dead-lettered.
    const feedJobs = await jobs<{ state: string; retry_count: number }>(pipelineJobs);
    expect(feedJobs).toHaveLength(PIPELINES);
    expect(feedJobs.every((job) => job.state === 'completed')).toBe(true);
    // The killed and stopped workers' jobs were put back to wait, no attempt counted, and taken over.
    expect(feedJobs.filter((job) => job.retry_count > 0)).toEqual([]);
    // Each kill's jobs were found by a live worker's sweep, and only those: a live worker's job is never taken for
    // a dead one's (each kill lost at most the 2 jobs its worker ran).
    const putBack = workers
      .map(
        (worker) =>
          (worker.output().match(/lost its worker: put back to wait, no attempt counted/g) ?? []).length,
      )
      .reduce((sum, count) => sum + count, 0);
    expect(putBack).toBeGreaterThanOrEqual(KILLS);
    expect(putBack).toBeLessThanOrEqual(2 * KILLS);
    expect(cappedPeak).toBeLessThanOrEqual(CAPPED.concurrency);

    // Every file loaded exactly once and moved aside; none failed, none left behind.
    const loaded = await rows<{ name: string; sha256: string; read: number }>(
      `SELECT name, sha256, (counts->>'read')::int AS read FROM source_files WHERE status = 'loaded'`,
    );
    expect(loaded.map((file) => file.name).sort()).toEqual([...delivered].sort());
    expect(new Set(loaded.map((file) => file.sha256)).size).toBe(delivered.length);
    for (let p = 0; p < PIPELINES; p++) {
      const name = `feed-${String(p).padStart(2, '0')}`;
      expect(readdirSync(inbox(name)).filter((entry) => entry.endsWith('.csv'))).toEqual([]);
      expect(existsSync(path.join(inbox(name), 'failed'))).toBe(false);
    }
    // Counts add up: every row read once, each with exactly one outcome.
    const [totals] = await rows<Record<string, number>>(
      `SELECT sum((counts->>'read')::int) AS read,
              sum((counts->>'inserted')::int + (counts->>'updated')::int + (counts->>'unchanged')::int
                + (counts->>'merged')::int + (counts->>'conflict')::int + (counts->>'rejected')::int
                + coalesce((counts->>'withdrawn')::int, 0)) AS outcomes
       FROM source_files WHERE status = 'loaded'`,
    );
    expect(totals).toEqual({
      read: delivered.length * ROWS_PER_FILE,
      outcomes: delivered.length * ROWS_PER_FILE,
    });
    // No duplicate lineage: no row of a file has two lineage entries, and lineage points only at loaded files.
    expect(
      await rows(
        'SELECT source_file_id, row_number FROM record_sources GROUP BY 1, 2 HAVING count(*) > 1 LIMIT 5',
      ),
    ).toEqual([]);
    expect(
      await rows(
        `SELECT s.id FROM record_sources s JOIN source_files f ON f.id = s.source_file_id
         WHERE f.status <> 'loaded' LIMIT 5`,
      ),
    ).toEqual([]);

    // The killed workers' runs did not stay running: they ended interrupted, naming their job.
    const interrupted = await rows<{ job_id: string }>(
      `SELECT job_id FROM runs WHERE status = 'interrupted' AND job_id IS NOT NULL`,
    );
    expect(interrupted.length).toBeGreaterThanOrEqual(KILLS);
    await until('no run left running', async () =>
      (await rows(`SELECT id FROM runs WHERE status = 'running'`)).length === 0 ? true : undefined,
    );

    // The broken feed, queued once no worker is being killed: failed on each of its 2 attempts, then copied to
    // the dead-letter queue with the error.
    const broken = pipelines.find((pipeline) => pipeline.name === 'broken')!;
    await enqueuePipelineRun(queue, broken, { origin: 'manual' });
    const [deadLettered] = await until('the broken feed dead-lettered', async () => {
      const found = await jobs<{ id: string; state: string; retry_count: number }>(
        `name = 'dead-letter' AND data->>'pipeline' = 'broken'`,
      );
      return found.length > 0 ? found : undefined;
    });
    expect(deadLettered).toBeDefined();
    const [original] = await jobs<{
      id: string;
      state: string;
      retry_count: number;
      output: { message: string };
    }>(`name = 'pipelines' AND data->>'pipeline' = 'broken'`);
    expect(original).toMatchObject({ state: 'failed', retry_count: 1 });
    expect(original!.output.message).toMatch(/could not settle it/);
    const dead = await runCli(['jobs', 'list', '--queue', 'dead-letter', '--json'], env);
    expect(dead.code).toBe(0);
    expect(JSON.parse(dead.stdout)).toEqual([
      expect.objectContaining({
        queue: 'dead-letter',
        data: expect.objectContaining({ pipeline: 'broken' }),
      }),
    ]);
    const shown = await runCli(['jobs', 'show', original!.id], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/failed/);
    expect(shown.stdout).toMatch(/could not settle it/);
    // A run of a worker names its job, and `runs show` gives the job's state.
    const [run] = await rows<{ id: number }>(`SELECT id FROM runs WHERE job_id = ? ORDER BY id LIMIT 1`, [
      original!.id,
    ]);
    const runShown = await runCli(['runs', 'show', String(run!.id)], env);
    expect(runShown.stdout).toContain(`job ${original!.id}: failed`);

    // SIGTERM: each worker finishes (nothing is running now) and exits 0.
    for (const worker of live) worker.child.kill('SIGTERM');
    const results = await Promise.all([...live].map((worker) => worker.result));
    expect(
      results.map((result) => result.code),
      results.map((result) => result.stderr.slice(-2000)).join('\n---\n'),
    ).toEqual([0, 0, 0]);
  });

  it('two schedulers triggering the same pipeline every second make one job, not two', {
    timeout: 120_000,
  }, async () => {
    const ticking = path.join(fx.scratch, 'ticking');
    mkdirSync(ticking);
    mkdirSync(inbox('tick'), { recursive: true });
    writeFileSync(
      path.join(ticking, 'tick.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370100MB28174284',
        level: 'city',
        transport: { type: 'drop-folder', directory: inbox('tick') },
        schedule: { cron: '* * * * * *' },
      }),
    );
    const scheduleEnv = { ...env, CREDIT_ETL_PIPELINES_DIR: ticking };
    const schedulers = [startCli(['schedule'], scheduleEnv), startCli(['schedule'], scheduleEnv)];
    // Both have triggered at least twice: each found the job queued by one of them.
    await until('both schedulers to trigger twice', async () =>
      schedulers.every((scheduler) => (scheduler.output().match(/pipeline tick: /g) ?? []).length >= 2)
        ? true
        : undefined,
    );
    for (const scheduler of schedulers) scheduler.child.kill('SIGTERM');
    const results = await Promise.all(schedulers.map((scheduler) => scheduler.result));
    expect(results.map((result) => result.code)).toEqual([0, 0]);
    const tickJobs = await jobs<{ id: string; singleton_key: string }>(`data->>'pipeline' = 'tick'`);
    expect(tickJobs).toHaveLength(1);
    const output = results.map((result) => result.stdout + result.stderr).join('\n');
    expect(output).toContain(`already queued or running`);
  });
});
