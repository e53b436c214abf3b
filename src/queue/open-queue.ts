import type { Logger } from '../log/logger.ts';
import {
  endJobAttempt,
  QUEUE_SCHEMA,
  type QueueStatementRunner,
  sendUnlessPending,
} from '../warehouse/queue-jobs-repository.ts';
import { DEFAULT_QUEUE, isJobKind, QUEUES } from './job-kinds.ts';
import type { EnqueueOptions, JobAttempt, JobData, JobQueue, JobState, QueuedJob } from './job-queue.ts';

/** An active job older than this is failed by the queue's maintenance (a lost machine whose session lingers). */
export const DEFAULT_EXPIRE_SECONDS = 6 * 3600;

export interface OpenQueueOptions {
  logger: Logger;
  /** Shown in pg_stat_activity. Default `credit-etl queue`. */
  applicationName?: string;
  /** Run pg-boss's maintenance (expiry, archiving) in this process: workers and schedulers do. Default true. */
  maintain?: boolean;
  /** How often that maintenance runs, in seconds (pg-boss's default: 120). Tests of the expiry set 1. */
  maintenanceIntervalSeconds?: number;
}

/**
 * The job queue in the warehouse's PostgreSQL (schema `pgboss`, created by pg-boss on first start, as the
 * login user: pg-boss's tables are bookkeeping, not the legal record). pg-boss is imported here only, lazily:
 * commands that never touch the queue do not load it. The queues every worker works and the dead-letter
 * queue are created at once; a pipeline's own queue is created by whoever first names it (ensureQueues).
 */
export async function openQueue(url: string, options: OpenQueueOptions): Promise<JobQueue> {
  const { default: PgBoss } = await import('pg-boss');
  const boss = new PgBoss({
    connectionString: url,
    schema: QUEUE_SCHEMA,
    application_name: options.applicationName ?? 'credit-etl queue',
    max: 3,
    // Cron lives in `schedule` (node-cron, Asia/Shanghai); pg-boss's own scheduler stays off.
    schedule: false,
    supervise: options.maintain ?? true,
    ...(options.maintenanceIntervalSeconds === undefined
      ? {}
      : { maintenanceIntervalSeconds: options.maintenanceIntervalSeconds }),
    migrate: true,
  });
  boss.on('error', (error) => options.logger.warn(`job queue: ${error.message}`));
  await whileDeadlocked(() => boss.start());
  const known = new Set<string>();
  const ensureQueues = async (names: readonly string[]) => {
    for (const name of names) {
      if (known.has(name)) continue;
      // create_queue is idempotent (ON CONFLICT DO NOTHING); a race between two processes is one queue.
      await whileDeadlocked(() =>
        boss
          .createQueue(name, {
            name,
            policy: 'standard',
            ...(name === QUEUES.deadLetter ? {} : { deadLetter: QUEUES.deadLetter }),
          })
          .catch((error: Error) => {
            if (!/already exists/.test(error.message)) throw error;
          }),
      );
      known.add(name);
    }
  };
  await ensureQueues([QUEUES.deadLetter, QUEUES.pipelines]);
  const endAttempt = async (
    queue: string,
    id: string,
    attempt: JobAttempt | undefined,
    end: (db?: QueueStatementRunner) => Promise<unknown>,
  ): Promise<boolean> => {
    if (!attempt?.startedOn) return applied(await end());
    const ended = await endJobAttempt(url, queue, id, attempt.startedOn, end);
    return ended !== undefined && applied(ended.result);
  };
  const queueOf = (data: JobData, given: EnqueueOptions) => given.queue ?? defaultQueueOf(data.kind);
  return {
    url,
    ensureQueues,
    async enqueue(data, enqueueOptions = {}) {
      const queue = queueOf(data, enqueueOptions);
      await ensureQueues([queue]);
      const sendOptions = {
        priority: enqueueOptions.priority ?? 0,
        retryLimit: enqueueOptions.retryLimit ?? 2,
        retryDelay: Math.round(enqueueOptions.retryDelaySeconds ?? 30),
        retryBackoff: true,
        expireInSeconds: enqueueOptions.expireInSeconds ?? DEFAULT_EXPIRE_SECONDS,
        deadLetter: QUEUES.deadLetter,
        ...(enqueueOptions.singletonKey ? { singletonKey: enqueueOptions.singletonKey } : {}),
      };
      if (!enqueueOptions.singletonKey) {
        const id = await boss.send(queue, data, sendOptions);
        if (!id) throw new Error(`the queue refused a ${data.kind} job in ${queue}`);
        return { id, created: true };
      }
      return sendUnlessPending(
        url,
        queue,
        enqueueOptions.singletonKey,
        (db) => boss.send(queue, data, { ...sendOptions, db }),
        enqueueOptions.onceForTrigger,
      );
    },
    async fetch(queue) {
      const [job] = await boss.fetch<JobData>(queue, {
        batchSize: 1,
        priority: true,
        includeMetadata: true,
      });
      if (!job) return undefined;
      return {
        id: job.id,
        queue,
        data: job.data,
        state: job.state as JobState,
        priority: job.priority,
        retryCount: job.retryCount,
        retryLimit: job.retryLimit,
        singletonKey: job.singletonKey,
        createdOn: job.createdOn,
        startedOn: job.startedOn,
        completedOn: job.completedOn,
        output: job.output,
      } satisfies QueuedJob;
    },
    // pg-boss ends a job by id and state alone, any attempt of it: with the attempt given, its row is locked and
    // checked to be still that attempt first, then pg-boss's own complete() or fail() runs over the same
    // transaction (its `db` option), so its retry, backoff and dead-letter logic stays its own (endJobAttempt).
    complete: (queue, id, output, attempt) =>
      endAttempt(queue, id, attempt, (db) => boss.complete(queue, id, output, db ? { db } : {})),
    fail: (queue, id, output, attempt) =>
      endAttempt(queue, id, attempt, (db) => boss.fail(queue, id, output, db ? { db } : {})),
    cancel: (queue, id) => boss.cancel(queue, id),
    // pg-boss retries a failed job (one attempt more) and resumes a cancelled one; each leaves the other alone.
    async retry(queue, id) {
      await boss.retry(queue, id);
      await boss.resume(queue, id);
    },
    stop: () => boss.stop({ graceful: false, wait: true }),
  };
}

/** The queue of a kind with no route of its own (job-kinds.ts DEFAULT_QUEUE). */
function defaultQueueOf(kind: string): string {
  if (!isJobKind(kind)) throw new Error(`unknown job kind "${kind}": add it to src/queue/job-kinds.ts`);
  return DEFAULT_QUEUE[kind];
}

/**
 * Workers starting together create the same queues (a table partition each) and install the same schema: two
 * such statements can deadlock, and PostgreSQL then cancels one of them (40P01). That is no fault of the worker:
 * it tries again after a short, jittered pause (the other has finished by then), a few times.
 */
async function whileDeadlocked<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const deadlock =
        (error as { code?: string }).code === '40P01' || /deadlock detected/.test(String(error));
      if (!deadlock || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt + Math.random() * 200));
    }
  }
}

/**
 * Whether pg-boss's complete() or fail() changed the job: it changes only an active (or, for fail, retrying) one,
 * and says so in `affected` (pg-boss 10 manager.js, mapCommandResponse), though its types declare void.
 */
function applied(result: unknown): boolean {
  return ((result as { affected?: number } | undefined)?.affected ?? 0) > 0;
}
