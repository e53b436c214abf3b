import os from 'node:os';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorker, type WorkerReport } from '../src/queue/run-worker.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { openQueueFixture, type QueueFixture, workerOptions } from './support/queue-fixture.ts';
import { recordingLogger } from './support/recording-logger.ts';
import { until } from './support/until.ts';

// A restart while a worker puts a job of a locked pipeline back to wait ends the worker's liveness session too: the
// job is active and unlocked until the worker's put-back goes through. Another worker's sweep must not take it for
// a lost worker's meanwhile (given out again at once, a lost worker counted, its wait skipped): the worker lives
// and tries on, and its put-back lands first once the database answers.
describe('a sweep leaves a job to its worker that puts it back through a restart (real PostgreSQL)', {
  timeout: 180_000,
}, () => {
  let q: QueueFixture;
  let holder: pg.Client;
  const running: { stop: AbortController; worker: Promise<unknown> }[] = [];
  const livenessName = `credit-etl worker ${os.hostname()}:${process.pid}`;
  beforeAll(async () => {
    q = await openQueueFixture('queue_put_back_sweep');
    holder = new pg.Client({ connectionString: q.fx.url });
    await holder.connect();
    // A put-back with a wait (not a sweep's: none) is cut while `put_back_cut.cutting`: its session ends itself, as a
    // restart would end it; the first cut ends the workers' liveness sessions too (the restart), the later ones not
    // (the database still refusing that write, the workers reconnected). A sequence: the cut rolls back the rest.
    await q.fx.owner.raw(`
      CREATE TABLE put_back_cut (pipeline text PRIMARY KEY, cutting boolean NOT NULL, also text);
      CREATE FUNCTION cut_put_back() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
      DECLARE cut put_back_cut;
      BEGIN
        IF OLD.state = 'active' AND NEW.state IN ('created', 'retry')
           AND NEW.start_after > now() + interval '2 seconds' THEN
          SELECT * INTO cut FROM put_back_cut WHERE pipeline = NEW.data ->> 'pipeline';
          IF cut.cutting THEN
            IF nextval('put_back_cut_' || (NEW.data ->> 'pipeline')) = 1 THEN
              PERFORM pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE application_name = cut.also AND pid <> pg_backend_pid();
            END IF;
            PERFORM pg_terminate_backend(pg_backend_pid());
          END IF;
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER cut_put_back BEFORE UPDATE ON pgboss.job FOR EACH ROW EXECUTE FUNCTION cut_put_back();
    `);
  });
  afterAll(async () => {
    for (const each of running) each.stop.abort();
    await Promise.all(running.map((each) => each.worker.catch(() => undefined)));
    await holder?.end();
    await q?.close();
  });

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

  it("the worker's liveness session ended with its put-back: no other worker's sweep gives the job out before the worker's put-back lands with its wait", async () => {
    const label = 'restart_race';
    const { byName } = await q.pipelines(label, [
      { name: label, attempts: 2, fill: (inbox) => writePenaltyCsv(inbox, `${label}.csv`, 10, { seed: 3 }) },
    ]);
    await q.fx.owner.raw(`CREATE SEQUENCE put_back_cut_${label}`);
    await q.fx.owner.raw('INSERT INTO put_back_cut VALUES (?, true, ?)', [label, livenessName]);
    await holder.query('SELECT pg_advisory_lock(hashtext($1))', [`credit-etl:pipeline:${label}`]);
    const { id } = await q.queue.enqueue(
      { kind: 'pipeline-run', pipeline: label, runKind: 'pipeline', partition: '2026-12-01' },
      { retryLimit: 2, retryDelaySeconds: 0 },
    );
    const start = () => {
      const { lines, logger } = recordingLogger();
      const stop = new AbortController();
      const worker = runWorker(
        workerOptions(q, byName, {
          logger,
          // A minute's wait for the lock: a put-back without it is seen.
          backoffSeconds: 60,
          signal: stop.signal,
          pollMs: 200,
          // Sweeps every second: the job would be taken for lost as soon as it qualifies.
          sweepMs: 1000,
        }),
      );
      running.push({ stop, worker });
      return { lines, stop, worker };
    };
    const first = start();
    await until('the first worker took the job', async () =>
      first.lines.join('').includes(`job ${id} started`) ? true : undefined,
    );
    // The other worker: it sweeps while the first one's put-back is refused.
    const second = start();
    // Past the sweep's 10 s since the attempt started, then the database takes the put-back again.
    await until('the job unlocked long enough for a sweep', async () =>
      (await jobRow(id)).running >= 13 ? true : undefined,
    );
    await q.fx.owner.raw('UPDATE put_back_cut SET cutting = false WHERE pipeline = ?', [label]);
    await until("the first worker's put-back answered", async () =>
      first.lines.join('').includes(`job ${id} waits`) ? true : undefined,
    );
    const row = await jobRow(id);
    // A sweep or two more: nothing takes the job waiting its minute.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const after = await jobRow(id);
    await q.fx.owner.raw('DELETE FROM pgboss.job WHERE id = ?', [id]);
    first.stop.abort();
    second.stop.abort();
    const reports = (await Promise.all([first.worker, second.worker])) as WorkerReport[];
    const log = first.lines.join('') + second.lines.join('');
    expect(log).toMatch(/lost its database session/);
    expect(row, log).toMatchObject({ state: 'created', retry_count: 0 });
    expect(row.output?.waiting).toMatch(
      new RegExp(`waits for pipeline ${label}'s lock.*tried again in 60 s`),
    );
    expect(row.output).not.toHaveProperty('lostWorkers');
    expect(row.waits).toBeGreaterThan(40);
    expect(after).toMatchObject({ state: 'created', retry_count: 0 });
    expect(reports[0]).toMatchObject({ deferred: 1, recovered: 0, failed: 0 });
    expect(reports[1]).toMatchObject({ deferred: 0, recovered: 0, failed: 0, completed: 0 });
    expect(log.match(/started: pipeline-run restart_race/g)).toHaveLength(1);
    expect(log).not.toMatch(/lost its worker/);
  });
});
