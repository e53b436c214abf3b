import os from 'node:os';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { END_RETRY, runWorker } from '../src/queue/run-worker.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { openQueueFixture, type QueueFixture, workerOptions } from './support/queue-fixture.ts';
import { recordingLogger } from './support/recording-logger.ts';
import { until } from './support/until.ts';

// A job of a locked pipeline is put back to wait its delay, no attempt counted. When the database drops the
// connection that puts it back (a restart, an administrator), the worker, alive and still holding the job's liveness
// lock, tries again: the job is never taken for one of a lost worker (no `lostWorkers`, no sweep's put-back
// without its delay), and it waits its delay once the database takes the put-back.
describe('a job put back to wait through a dropped connection keeps its delay and is no lost worker (real PostgreSQL)', {
  timeout: 180_000,
}, () => {
  let q: QueueFixture;
  let holder: pg.Client;
  const running: { stop: AbortController; worker: Promise<unknown> }[] = [];
  beforeAll(async () => {
    q = await openQueueFixture('queue_defer_retried');
    holder = new pg.Client({ connectionString: q.fx.url });
    await holder.connect();
    // The session that puts a job back to wait with a delay (not a sweep's put-back: no delay) is ended while
    // `defer_cut_limit.cuts` allows: pg_terminate_backend of itself, as a restart would end it.
    await q.fx.owner.raw(`
      CREATE TABLE defer_cut_limit (pipeline text PRIMARY KEY, cuts int NOT NULL, also text);
      CREATE FUNCTION cut_defer() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
      DECLARE cut defer_cut_limit;
      BEGIN
        IF OLD.state = 'active' AND NEW.state IN ('created', 'retry')
           AND NEW.start_after > now() + interval '2 seconds' THEN
          SELECT * INTO cut FROM defer_cut_limit WHERE pipeline = NEW.data ->> 'pipeline';
          IF cut.cuts IS NOT NULL AND nextval('defer_cut_' || (NEW.data ->> 'pipeline')) <= cut.cuts THEN
            -- A restart ends every session: with \`also\`, the session of that name (the worker's liveness) too.
            PERFORM pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE application_name = cut.also AND pid <> pg_backend_pid();
            PERFORM pg_terminate_backend(pg_backend_pid());
          END IF;
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER cut_defer BEFORE UPDATE ON pgboss.job FOR EACH ROW EXECUTE FUNCTION cut_defer();
    `);
  });
  afterAll(async () => {
    // A test that failed midway: its worker stops before the database goes.
    for (const each of running) each.stop.abort();
    await Promise.all(running.map((each) => each.worker.catch(() => undefined)));
    await holder?.end();
    await q?.close();
  });

  /** How many put-backs of `pipeline` reached the database (the cut ones and the one that went through). */
  const tries = async (pipeline: string) =>
    (await q.rows<{ n: number }>(`SELECT last_value::int AS n FROM defer_cut_${pipeline}`))[0]!.n;
  const jobRow = async (id: string) =>
    (
      await q.rows<{
        state: string;
        retry_count: number;
        output: Record<string, unknown> | null;
        waits: number;
        running: number;
      }>(
        `SELECT state::text AS state, retry_count, output,
                EXTRACT(epoch FROM start_after - now())::int AS waits,
                EXTRACT(epoch FROM now() - started_on)::int AS running
           FROM pgboss.job WHERE id = ?`,
        [id],
      )
    )[0]!;

  /** A job of pipeline `label`, locked by another process, taken by a worker whose put-backs are cut `cuts` times. */
  async function start(label: string, cuts: number, also?: string) {
    const { byName } = await q.pipelines(label, [
      { name: label, attempts: 2, fill: (inbox) => writePenaltyCsv(inbox, `${label}.csv`, 10, { seed: 3 }) },
    ]);
    await q.fx.owner.raw(`CREATE SEQUENCE defer_cut_${label}`);
    await q.fx.owner.raw('INSERT INTO defer_cut_limit VALUES (?, ?, ?)', [label, cuts, also ?? null]);
    await holder.query('SELECT pg_advisory_lock(hashtext($1))', [`credit-etl:pipeline:${label}`]);
    const { id } = await q.queue.enqueue(
      { kind: 'pipeline-run', pipeline: label, runKind: 'pipeline', partition: '2026-12-01' },
      { retryLimit: 2, retryDelaySeconds: 0 },
    );
    const { lines, logger } = recordingLogger();
    const stop = new AbortController();
    const worker = runWorker(
      workerOptions(q, byName, {
        logger,
        // A minute's wait for the lock: long enough that a put-back without it is seen.
        backoffSeconds: 60,
        signal: stop.signal,
        pollMs: 200,
        // The worker's own sweep looks for lost jobs every second: it would find this one, were it taken for lost.
        sweepMs: 1000,
      }),
    );
    running.push({ stop, worker });
    return { id, lines, stop, worker };
  }

  /** The job once a worker took it and it is no longer active; then gone, so that no later test's worker takes it. */
  async function putBack(id: string, lines: string[]) {
    const row = await until('the job taken, then put back', async () => {
      if (!lines.join('').includes(`job ${id} started`)) return undefined;
      const now = await jobRow(id);
      return now.state === 'active' ? undefined : now;
    });
    await q.fx.owner.raw('DELETE FROM pgboss.job WHERE id = ?', [id]);
    return row;
  }

  /** Put back by the worker itself: waiting its minute for the lock, no attempt counted, no lost worker. */
  function expectWaitingItsDelay(row: Awaited<ReturnType<typeof jobRow>>, label: string, log: string) {
    expect(row, log).toMatchObject({ state: 'created', retry_count: 0 });
    expect(row.output?.waiting).toMatch(
      new RegExp(`waits for pipeline ${label}'s lock.*tried again in 60 s`),
    );
    expect(row.output).not.toHaveProperty('lostWorkers');
    expect(row.waits).toBeGreaterThan(40);
  }

  it("the put-back's connection dropped once: tried again, the job waits its delay, its worker never taken for lost", async () => {
    const { id, lines, stop, worker } = await start('cut_once', 1);
    const row = await putBack(id, lines);
    stop.abort();
    const report = await worker;
    const log = lines.join('');
    expectWaitingItsDelay(row, 'cut_once', log);
    expect(await tries('cut_once')).toBe(2);
    expect(report).toMatchObject({ deferred: 1, recovered: 0, failed: 0 });
    expect(log.match(/started: pipeline-run cut_once/g)).toHaveLength(1);
    expect(log).toMatch(new RegExp(`job ${id} could not be put back to wait \\(.*\\): try 2 in`));
    expect(log).not.toMatch(/lost its database session|lost its worker/);
  });

  it('the put-back refused past its retries: the worker keeps the job (active, locked: no sweep takes it) and puts it back with its delay once the database takes it', async () => {
    const { id, lines, stop, worker } = await start('cut_long', 1000);
    // Past the end's retries, and long enough after its start that a sweep would take it, were its lock gone.
    await until('the worker trying on past its retries', async () =>
      (await tries('cut_long')) > END_RETRY.attempts + 1 && (await jobRow(id)).running > 12
        ? true
        : undefined,
    );
    const held = await jobRow(id);
    expect(held, lines.join('')).toMatchObject({ state: 'active', retry_count: 0 });
    expect(held.output ?? {}).not.toHaveProperty('lostWorkers');
    expect(lines.join('')).toMatch(
      new RegExp(
        `job ${id} could not be put back to wait after ${END_RETRY.attempts} tries .*this worker keeps it active \\(its liveness lock held while its database session lasts\\)`,
      ),
    );
    // The database takes writes again.
    await q.fx.owner.raw(`UPDATE defer_cut_limit SET cuts = 0 WHERE pipeline = 'cut_long'`);
    const row = await putBack(id, lines);
    stop.abort();
    const report = await worker;
    const log = lines.join('');
    expectWaitingItsDelay(row, 'cut_long', log);
    expect(report).toMatchObject({ deferred: 1, recovered: 0, failed: 0 });
    expect(log.match(/started: pipeline-run cut_long/g)).toHaveLength(1);
    expect(log).not.toMatch(/lost its database session|lost its worker/);
  });

  it("a restart at the put-back (the worker's liveness session dropped too): the worker puts the job back itself once the database answers, with its delay, not as a lost worker", async () => {
    const { id, lines, stop, worker } = await start(
      'cut_restart',
      1,
      `credit-etl worker ${os.hostname()}:${process.pid}`,
    );
    const row = await putBack(id, lines);
    await until('the worker reconnected', async () =>
      /worker reconnected to the database/.test(lines.join('')) ? true : undefined,
    );
    stop.abort();
    const report = await worker;
    const log = lines.join('');
    expectWaitingItsDelay(row, 'cut_restart', log);
    expect(await tries('cut_restart')).toBe(2);
    expect(report).toMatchObject({ deferred: 1, recovered: 0, failed: 0 });
    expect(log).toMatch(/lost its database session/);
    expect(log).not.toMatch(/lost its worker/);
  });
});
