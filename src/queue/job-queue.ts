/**
 * The job queue as the engine sees it: a small port over pg-boss (open-queue.ts is the only file that knows the
 * library), so commands, the worker and the scheduler never depend on its types. Jobs live in the warehouse's
 * own PostgreSQL, schema `pgboss`: no new infrastructure.
 */

import type { JobState } from '../warehouse/queue-jobs-repository.ts';

export { JOB_STATES, type JobState } from '../warehouse/queue-jobs-repository.ts';

/** What a job carries: its kind (job-kinds.ts) picks the handler (job-handlers.ts); the rest is the kind's own. */
export interface JobData {
  kind: string;
  [field: string]: unknown;
}

export interface EnqueueOptions {
  /** The queue (default the kind's, job-kinds.ts); a pipeline's `queue.name` routes its runs to a queue of its own. */
  queue?: string;
  /** Higher first among the queue's waiting jobs (JOB_PRIORITY). */
  priority?: number;
  /**
   * At most one job with this key is pending or running in its queue: enqueueing another while one is
   * created, waiting for a retry or active returns the existing one instead (N schedulers are harmless).
   */
  singletonKey?: string;
  /**
   * With `singletonKey`: a scheduled run's trigger (ISO). A completed job with the same key and this
   * `data.triggeredAt` (archived or not) counts as there too: two schedulers' cron tick stays one run even when
   * one's send is retried after the other's job already completed.
   */
  onceForTrigger?: string;
  /** Retries after the first attempt; after the last the job is copied to the dead-letter queue with its error. */
  retryLimit?: number;
  /** Pause before the first retry; each later one doubles (jittered). */
  retryDelaySeconds?: number;
  /** An active job older than this is failed (and retried) by the queue's maintenance: the backstop for a lost machine. */
  expireInSeconds?: number;
}

/** What `enqueue` did: a new job, or the pending one with the same singleton key. */
export interface Enqueued {
  id: string;
  /** False when a job with the same singleton key was already pending or running (that job's id is given). */
  created: boolean;
}

/** A job as stored, for the worker and for `jobs list|show`. */
export interface QueuedJob<Data extends JobData = JobData> {
  id: string;
  queue: string;
  data: Data;
  state: JobState;
  priority: number;
  /** Attempts so far beyond the first (0 on the first attempt). */
  retryCount: number;
  retryLimit: number;
  singletonKey: string | null;
  createdOn: Date;
  startedOn: Date | null;
  completedOn: Date | null;
  /** What the handler returned (completed) or the error (failed), as stored. */
  output: unknown;
}

/** Which attempt of a job: each fetch starts one, at `startedOn` (also when an attempt was put back uncounted). */
export type JobAttempt = Pick<QueuedJob, 'startedOn'>;

export interface JobQueue {
  /** The warehouse URL the queue lives in (schema `pgboss`). */
  readonly url: string;
  /** Creates these queues unless they exist (every queue needs creating before jobs are sent to it). */
  ensureQueues(names: readonly string[]): Promise<void>;
  /** Sends a job of `data.kind` (with a singleton key: only if none with that key is pending or running). */
  enqueue(data: JobData, options?: EnqueueOptions): Promise<Enqueued>;
  /** The next job of a queue (highest priority, oldest first), now `active`; undefined when none is waiting. */
  fetch(queue: string): Promise<QueuedJob | undefined>;
  /**
   * The job succeeded; `output` is kept with it (`jobs show`). With `attempt` (the fetched job, or a job read with
   * its `startedOn`) only that attempt is ended: the worker that ran it says which. False, nothing changed, when the
   * job is no longer active in it (the queue's own expiry failed it meanwhile, and may have retried it: a retry
   * another worker runs now is left to that worker). Without `attempt`, whichever attempt is active is ended.
   */
  complete(
    queue: string,
    id: string,
    output: Record<string, unknown>,
    attempt?: JobAttempt,
  ): Promise<boolean>;
  /**
   * The job failed: retried after its delay while attempts remain, else failed and dead-lettered. `attempt` and
   * false as for `complete` (without `attempt` a job waiting for its retry is failed again too).
   */
  fail(queue: string, id: string, output: Record<string, unknown>, attempt?: JobAttempt): Promise<boolean>;
  /** A pending job will not run (an active one is told to stop by its worker's next sweep). */
  cancel(queue: string, id: string): Promise<void>;
  /** A failed or cancelled job runs again. */
  retry(queue: string, id: string): Promise<void>;
  /** Stops the queue's maintenance and closes its connections. */
  stop(): Promise<void>;
}
