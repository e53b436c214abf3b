import pg from 'pg';

/**
 * What the engine reads and locks in pg-boss's schema beside what pg-boss itself does: a singleton that holds
 * across processes (no second job with the same key while one is pending or running), job listings for
 * `jobs list|show`, and the liveness locks by which a worker that died is told apart from a slow one.
 */
export const QUEUE_SCHEMA = 'pgboss';

/** pg-boss's job states, in its order (a state before `completed` is still pending or running). */
export const JOB_STATES = ['created', 'retry', 'active', 'completed', 'cancelled', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** What pg-boss's `send` runs on: a connection inside our transaction. */
export interface QueueStatementRunner {
  executeSql(text: string, values: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * Sends a job unless one with `singletonKey` is created, waiting for a retry or active in `queue`. A
 * transaction-scoped advisory lock on the key makes two schedulers' triggers one job (pg-boss's own policies
 * either allow a queued job beside an active one, or depend on timing). `triggeredAt` (a scheduled run: the cron
 * tick, the same in every scheduler): a completed job with the key and that `data.triggeredAt`, still in the queue
 * or archived, counts as there too: one scheduler's send retried after the other's job already ran is no second run.
 */
export async function sendUnlessPending(
  url: string,
  queue: string,
  singletonKey: string,
  send: (db: QueueStatementRunner) => Promise<string | null>,
  triggeredAt?: string,
): Promise<{ id: string; created: boolean }> {
  const client = new pg.Client({ connectionString: url, application_name: 'credit-etl enqueue' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`credit-etl:job:${singletonKey}`]);
    const pending = await client.query<{ id: string }>(
      `SELECT id FROM ${QUEUE_SCHEMA}.job WHERE name = $1 AND singleton_key = $2 AND state < 'completed' LIMIT 1`,
      [queue, singletonKey],
    );
    const ran =
      triggeredAt === undefined || pending.rows[0]
        ? undefined
        : await client.query<{ id: string }>(
            `SELECT id FROM ${QUEUE_SCHEMA}.job
              WHERE name = $1 AND singleton_key = $2 AND state = 'completed' AND data ->> 'triggeredAt' = $3
             UNION ALL
             SELECT id FROM ${QUEUE_SCHEMA}.archive
              WHERE name = $1 AND singleton_key = $2 AND state = 'completed' AND data ->> 'triggeredAt' = $3
             LIMIT 1`,
            [queue, singletonKey, triggeredAt],
          );
    const existing = pending.rows[0]?.id ?? ran?.rows[0]?.id;
    if (existing) {
      await client.query('ROLLBACK');
      return { id: existing, created: false };
    }
    const id = await send({ executeSql: (text, values) => client.query(text, values) });
    await client.query('COMMIT');
    if (!id) throw new Error(`the queue refused job ${singletonKey} in ${queue}`);
    return { id, created: true };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The job's current attempt is the one that started at the timestamp parameter `at`: node-postgres reads
 * `started_on` cut to the millisecond (the column keeps microseconds), so a 1 ms window around it is still that
 * attempt (the next starts only after this one was failed by the expiry or put back to wait, seconds later).
 */
const inAttempt = (at: string) =>
  `started_on > ${at}::timestamptz - interval '1 millisecond' AND started_on < ${at}::timestamptz + interval '1 millisecond'`;

/**
 * How long one try to end or put back a job may wait for the server, to connect and then for each answer: a
 * network cut (no answer at all, unlike a restart's refusal) would otherwise hang the try for the operating
 * system's minutes, past a sweep's grace (run-worker.ts LOST_GRACE_MS) and a stopping worker's patience. Out of
 * time, the try fails as a database fault and is tried again.
 */
const JOB_END_TIMEOUT_MS = 10_000;

/**
 * Ends one attempt of a job, not whatever attempt of it is active now. pg-boss's complete() and fail() match the
 * job by id and state only: once its expiry has failed an attempt into a retry that another worker has taken, the
 * first worker's late complete() or fail() would end the second worker's attempt (and a fail() of a job waiting
 * for its retry would fail it again). So the job's row is locked here first, and `end` (pg-boss's own complete or
 * fail, run over this transaction's connection: pg-boss keeps its retry, backoff and dead-letter logic) runs only
 * when the row is still `active` in the attempt that started at `startedOn` (fetch sets `started_on = now()` on
 * every attempt, a put-back one too, where `retry_count` may repeat). The lock holds pg-boss's expiry off the row
 * until this commits. Undefined, nothing run, when the job is no longer in that attempt.
 */
export async function endJobAttempt<T>(
  url: string,
  queue: string,
  id: string,
  startedOn: Date,
  end: (db: QueueStatementRunner) => Promise<T>,
): Promise<{ result: T } | undefined> {
  const client = new pg.Client({
    connectionString: url,
    application_name: 'credit-etl worker end job',
    connectionTimeoutMillis: JOB_END_TIMEOUT_MS,
    query_timeout: JOB_END_TIMEOUT_MS,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('BEGIN');
    const { rowCount } = await client.query(
      `SELECT 1 FROM ${QUEUE_SCHEMA}.job
        WHERE name = $1 AND id = $2 AND state = 'active' AND ${inAttempt('$3')}
        FOR UPDATE`,
      [queue, id, startedOn],
    );
    if (!rowCount) {
      await client.query('ROLLBACK');
      return undefined;
    }
    const result = await end({ executeSql: (text, values) => client.query(text, values) });
    await client.query('COMMIT');
    return { result };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A job row as `jobs list|show` and the worker read it. */
export interface JobRow {
  id: string;
  queue: string;
  data: Record<string, unknown>;
  state: JobState;
  priority: number;
  retry_count: number;
  retry_limit: number;
  singleton_key: string | null;
  created_on: Date;
  started_on: Date | null;
  completed_on: Date | null;
  output: unknown;
}

const JOB_COLUMNS = `id, name AS queue, data, state, priority, retry_count, retry_limit, singleton_key,
  created_on, started_on, completed_on, output`;

/** Jobs, newest first, of some states or one queue (archived jobs included: pg-boss moves finished ones there). */
export async function listJobs(
  client: pg.Client,
  filter: { limit: number; states?: readonly JobState[]; queue?: string | undefined },
): Promise<JobRow[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  if (filter.states) {
    values.push(filter.states);
    where.push(`state::text = ANY($${values.length})`);
  }
  if (filter.queue) {
    values.push(filter.queue);
    where.push(`name = $${values.length}`);
  }
  values.push(filter.limit);
  const condition = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const { rows } = await client.query<JobRow>(
    `SELECT * FROM (
       SELECT ${JOB_COLUMNS} FROM ${QUEUE_SCHEMA}.job ${condition}
       UNION ALL
       SELECT ${JOB_COLUMNS} FROM ${QUEUE_SCHEMA}.archive ${condition}
     ) jobs ORDER BY created_on DESC, id LIMIT $${values.length}`,
    values,
  );
  return rows;
}

/** One job by id, wherever it is (queue or archive). */
export async function findJob(client: pg.Client, id: string): Promise<JobRow | undefined> {
  const { rows } = await client.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM ${QUEUE_SCHEMA}.job WHERE id = $1
     UNION ALL SELECT ${JOB_COLUMNS} FROM ${QUEUE_SCHEMA}.archive WHERE id = $1 LIMIT 1`,
    [id],
  );
  return rows[0];
}

/** The states of these jobs now (a worker's sweep: was one of mine cancelled?). */
export async function jobStates(client: pg.Client, ids: readonly string[]): Promise<Map<string, JobState>> {
  if (ids.length === 0) return new Map();
  const { rows } = await client.query<{ id: string; state: JobState }>(
    `SELECT id, state FROM ${QUEUE_SCHEMA}.job WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return new Map(rows.map((row) => [row.id, row.state]));
}

/**
 * Puts an active job back to wait `delaySeconds` as if it had not been fetched: no attempt is counted (pg-boss
 * counts one at fetch when `started_on` is set, so the count is set back by one, or `started_on` cleared on a
 * first attempt). `output` says why it waits (`jobs show`). False when the job was no longer active in the attempt
 * that started at `startedOn` (the expiry may have retried it and another worker taken it: that one is left alone;
 * an active job always has one, and without one nothing is put back: a sweep does it).
 */
export async function deferActiveJob(
  client: pg.Client,
  jobId: string,
  startedOn: Date | null,
  delaySeconds: number,
  output: Record<string, unknown>,
): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE ${QUEUE_SCHEMA}.job SET
       state = (CASE WHEN retry_count = 0 THEN 'created' ELSE 'retry' END)::${QUEUE_SCHEMA}.job_state,
       retry_count = GREATEST(retry_count - 1, 0),
       started_on = CASE WHEN retry_count = 0 THEN NULL ELSE started_on END,
       start_after = now() + make_interval(secs => $2),
       output = $3::jsonb
     WHERE id = $1 AND state = 'active' AND ${inAttempt('$4')}`,
    [jobId, delaySeconds, JSON.stringify(output), startedOn],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * deferActiveJob over a connection of its own (as endJobAttempt), not over the worker's liveness session: a put-back
 * that fails (the connection cut, a restart, no connection free) leaves the liveness session and its lock alone,
 * so the worker can try again while the job is still seen as its own, and the sweep never takes it for lost.
 */
export async function deferJobAttempt(
  url: string,
  jobId: string,
  startedOn: Date | null,
  delaySeconds: number,
  output: Record<string, unknown>,
): Promise<boolean> {
  const client = new pg.Client({
    connectionString: url,
    application_name: 'credit-etl worker defer job',
    connectionTimeoutMillis: JOB_END_TIMEOUT_MS,
    query_timeout: JOB_END_TIMEOUT_MS,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await deferActiveJob(client, jobId, startedOn, delaySeconds, output);
  } finally {
    await client.end().catch(() => undefined);
  }
}

// Advisory locks in two-key form: the first key says what the lock is for, the second which one.
const JOB_LIVENESS = 19_001;
const QUEUE_SLOT = 19_002;

/**
 * A worker's liveness session: while a worker runs a job it holds that job's advisory lock on this connection.
 * When the process dies (kill -9, a lost machine), the server ends the session and the lock goes with it:
 * an active job whose lock nobody holds has lost its worker. Keepalives bring a lost machine's session down
 * within about two minutes, instead of the operating system's two hours.
 */
export async function openLivenessSession(url: string, name: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: name });
  client.on('error', () => undefined);
  await client.connect();
  await client.query(
    'SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 6',
  );
  return client;
}

export async function holdJobLock(session: pg.Client, jobId: string): Promise<void> {
  await session.query('SELECT pg_advisory_lock($1, hashtext($2))', [JOB_LIVENESS, jobId]);
}

export async function releaseJobLock(session: pg.Client, jobId: string): Promise<void> {
  await session.query('SELECT pg_advisory_unlock($1, hashtext($2))', [JOB_LIVENESS, jobId]);
}

/**
 * Takes one of a queue's `limit` slots (cluster-wide: every worker on every machine counts), skipping those
 * this process holds already; undefined when all are taken. Released with `releaseQueueSlot`, or by the
 * server when the process dies.
 */
export async function takeQueueSlot(
  session: pg.Client,
  queue: string,
  limit: number,
  heldHere: ReadonlySet<number>,
): Promise<number | undefined> {
  for (let slot = 0; slot < limit; slot++) {
    if (heldHere.has(slot)) continue;
    const { rows } = await session.query<{ taken: boolean }>(
      'SELECT pg_try_advisory_lock($1, hashtext($2)) AS taken',
      [QUEUE_SLOT, `${queue}#${slot}`],
    );
    if (rows[0]?.taken) return slot;
  }
  return undefined;
}

export async function releaseQueueSlot(session: pg.Client, queue: string, slot: number): Promise<void> {
  await session.query('SELECT pg_advisory_unlock($1, hashtext($2))', [QUEUE_SLOT, `${queue}#${slot}`]);
}

/** An active job whose worker is gone, with its attempts so far and how many workers it lost in a row. */
export interface LostJob {
  id: string;
  queue: string;
  data: Record<string, unknown>;
  retry_count: number;
  retry_limit: number;
  /** When its current attempt started (which attempt the sweep fails, should it fail it). */
  started_on: Date;
  /** Workers lost while running it since it last ran to an end (its output's `lostWorkers`, set when put back). */
  lost_workers: number;
}

/**
 * Active jobs whose worker is gone: started more than `graceSeconds` ago (a worker takes the lock right after
 * fetching) and no session holds their liveness lock.
 */
export async function lostJobs(client: pg.Client, graceSeconds: number): Promise<LostJob[]> {
  const { rows } = await client.query<LostJob>(
    `SELECT j.id, j.name AS queue, j.data, j.retry_count, j.retry_limit, j.started_on,
       COALESCE(CASE WHEN jsonb_typeof(j.output -> 'lostWorkers') = 'number'
                     THEN (j.output ->> 'lostWorkers')::int END, 0) AS lost_workers
     FROM ${QUEUE_SCHEMA}.job j
     WHERE j.state = 'active' AND j.started_on < now() - make_interval(secs => $2)
       AND NOT EXISTS (
         SELECT 1 FROM pg_locks l
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND l.classid::bigint = $1
           AND l.objid::bigint = (hashtext(j.id::text)::bigint & 4294967295))`,
    [JOB_LIVENESS, graceSeconds],
  );
  return rows;
}

/**
 * What pg-boss 10 stores as the output of a job its maintenance failed for staying active past its `expire_in`
 * (plans.js, failJobsByTimeout): its own words, the only mark such a job carries.
 */
export const EXPIRED_BY_QUEUE_MESSAGE = 'job failed by timeout in active state';

/** A job pg-boss's expiry failed on its last attempt (and copied to its dead-letter queue), to be told once. */
export interface ExpiredDeadLetter {
  id: string;
  queue: string;
  data: Record<string, unknown>;
  retry_count: number;
  /** The job's `expire_in`, in seconds. */
  expire_seconds: number;
}

/**
 * Jobs pg-boss's own expiry failed with no retry left, dead-lettered by pg-boss without any of our code paths
 * seeing it, not told yet. Each is marked told (`output.deadLetterAlertedAt`) in the same statement that returns
 * it, so however many workers sweep, one tells it, once.
 */
export async function claimExpiredDeadLetters(client: pg.Client): Promise<ExpiredDeadLetter[]> {
  const { rows } = await client.query<ExpiredDeadLetter>(
    `UPDATE ${QUEUE_SCHEMA}.job
        SET output = output || jsonb_build_object('deadLetterAlertedAt', now())
      WHERE state = 'failed' AND dead_letter IS NOT NULL
        AND output -> 'value' ->> 'message' = $1 AND NOT output ? 'deadLetterAlertedAt'
     RETURNING id, name AS queue, data, retry_count, EXTRACT(epoch FROM expire_in)::int AS expire_seconds`,
    [EXPIRED_BY_QUEUE_MESSAGE],
  );
  return rows;
}

const SWEEP = 19_003;

/** Runs a sweep only if no other process is sweeping right now (one at a time: a lost job is failed once). */
export async function withSweepLock<T>(session: pg.Client, work: () => Promise<T>): Promise<T | undefined> {
  const { rows } = await session.query<{ taken: boolean }>('SELECT pg_try_advisory_lock($1, 0) AS taken', [
    SWEEP,
  ]);
  if (!rows[0]?.taken) return undefined;
  try {
    return await work();
  } finally {
    await session.query('SELECT pg_advisory_unlock($1, 0)', [SWEEP]);
  }
}

/** The warehouse has never run a worker or scheduler: pg-boss's schema is not there, so there are no jobs. */
export class QueueNotInstalled extends Error {
  override readonly name = 'QueueNotInstalled';
  constructor(options?: ErrorOptions) {
    super(
      'the job queue is not installed in this warehouse yet: it is created when `credit-etl worker` or `schedule` first starts',
      options,
    );
  }
}

/** A connection to the queue's schema for one piece of work; the queue not yet installed is said plainly. */
export async function withQueueClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'credit-etl jobs' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } catch (error) {
    if ((error as { code?: string }).code === UNDEFINED_TABLE) throw new QueueNotInstalled({ cause: error });
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const UNDEFINED_TABLE = '42P01';
