import os from 'node:os';
import { isInfrastructureFault } from '../../connectors/infrastructure-fault.ts';
import {
  backoffDelay,
  type RetryPolicy,
  retryWithBackoff,
} from '../../connectors/transports/retry-with-backoff.ts';
import type { AlertSink } from '../alerts/alert-event.ts';
import { jobDeadLetteredEvent } from '../alerts/alert-events.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import type { Logger } from '../log/logger.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import type { PipelineDefinition } from '../pipelines/pipeline-definition.ts';
import { maskedPipelineNames, type PipelineNamesNow } from '../pipelines/pipeline-names-shown.ts';
import { markInterruptedRuns } from '../run/run-ledger.ts';
import { abandonChunkedLoadsOfEndedRuns } from '../warehouse/chunked-loads-repository.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { pipelineLockHolder } from '../warehouse/pipeline-lock.ts';
import {
  claimExpiredDeadLetters,
  deferActiveJob,
  deferJobAttempt,
  holdJobLock,
  jobStates,
  type LostJob,
  lostJobs,
  openLivenessSession,
  releaseJobLock,
  releaseQueueSlot,
  takeQueueSlot,
  withSweepLock,
} from '../warehouse/queue-jobs-repository.ts';
import { interruptRunsOfJob, runsOfJob } from '../warehouse/runs-repository.ts';
import { JOB_HANDLERS, JobDeferred, JobFailure, JobStopped } from './job-handlers.ts';
import { isJobKind } from './job-kinds.ts';
import type { JobQueue, QueuedJob } from './job-queue.ts';

export interface WorkerOptions {
  queue: JobQueue;
  warehouse: Warehouse;
  catalog: Catalog;
  logger: Logger;
  stagingDir: string;
  /** The queues this worker takes jobs from, in the order it looks at them. */
  queues: readonly string[];
  /** Jobs this worker runs at once. */
  concurrency: number;
  /** Queues with a cluster-wide limit of jobs running at once (a provider's SFTP server: 2). */
  limits: ReadonlyMap<string, number>;
  pipeline(name: string): Promise<PipelineDefinition>;
  /** Aborted by the first SIGTERM/SIGINT: no job starts, running ones stop after their unit. */
  signal: AbortSignal;
  /** Where failed runs and dead-lettered jobs are told (config/alerts.json). */
  alerts?: AlertSink;
  /**
   * How alerts and the messages of jobs name pipelines, as `pipelines list` does (`…~1`), read once per message;
   * default masked only.
   */
  pipelineNames?: PipelineNamesNow;
  /** How often an idle slot looks for work. Default 1000 ms. */
  pollMs?: number;
  /** How often the worker looks for jobs of dead workers and for cancelled jobs of its own. Default 5000 ms. */
  sweepMs?: number;
}

export interface WorkerReport {
  completed: number;
  failed: number;
  /** Jobs put back to wait, no attempt counted (their pipeline was locked by another process). */
  deferred: number;
  /** Jobs of dead workers this worker put back to wait (or failed, after MAX_LOST_WORKERS in a row). */
  recovered: number;
}

/** A worker takes its liveness lock right after fetching; an active job unlocked for longer has lost its worker. */
const LOST_AFTER_SECONDS = 10;

/**
 * A job whose worker was lost goes back to wait with no attempt counted (a deploy, a machine lost: not its fault),
 * this many times in a row; from the next loss on each counts as a failed attempt, so a job that kills its worker
 * (out of memory on one file) ends dead-lettered and alerted instead of killing workers for ever.
 */
export const MAX_LOST_WORKERS = 3;

/**
 * Runs jobs until `signal` aborts: `concurrency` slots, each taking the next job from the worked queues (a
 * limited queue only when one of its cluster-wide slots is free), holding the job's liveness lock while it
 * runs. Beside them a sweep finds active jobs whose worker died (kill -9, a lost machine: their lock is gone),
 * puts them back to wait without counting an attempt (MAX_LOST_WORKERS) so another worker takes them, and ends
 * their runs `interrupted` (not a job whose run still loads in the process holding its pipeline's lock: a live
 * worker that lost only its session ends that run itself, then the job is recovered). A job that is
 * dead-lettered (its last attempt failed) is alerted (`job-dead-lettered`), one failed by the queue's own expiry
 * too (found by the sweep).
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerReport> {
  const { queue, logger } = options;
  const report: WorkerReport = { completed: 0, failed: 0, deferred: 0, recovered: 0 };
  await queue.ensureQueues(options.queues);
  const name = `credit-etl worker ${os.hostname()}:${process.pid}`;
  logger.info(
    `worker started: ${options.concurrency} slot(s) on queue(s) ${options.queues.join(', ')}` +
      [...options.limits].map(([queueName, limit]) => `; ${queueName} at most ${limit} at once`).join(''),
  );
  let session: LivenessSession | undefined = await openLivenessSession(queue.url, name);
  while (session) {
    const lost = await workOnSession(options, session, report);
    if (!lost || options.signal.aborted) break;
    session = await reopenSession(queue.url, name, options.signal, logger);
  }
  return report;
}

/** The connection holding a worker's liveness locks (queue-jobs-repository.ts). */
type LivenessSession = Awaited<ReturnType<typeof openLivenessSession>>;

/** Waits between tries to open a new liveness session while the database is down. */
const RECONNECT: RetryPolicy = { attempts: Number.POSITIVE_INFINITY, baseDelayMs: 1000, maxDelayMs: 30_000 };

/**
 * How long a job's end (complete or fail) is tried through a database restart or a server out of connections:
 * five tries over about 8–15 s. The end is keyed to the job's attempt (endJobAttempt), so a try that comes after a
 * sweep already put the job back ends nothing.
 */
export const END_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 1000, maxDelayMs: 8000 };

/**
 * Records a job's end, retrying faults of the database (END_RETRY); what `end` returned, or undefined when the
 * database could not take it (told here: the job stays active without its lock, and a sweep retries it).
 */
async function recordEnd(
  log: Logger,
  job: QueuedJob,
  end: 'completed' | 'failed',
  record: () => Promise<boolean>,
): Promise<boolean | undefined> {
  return retryWithBackoff(END_RETRY, record, {
    onRetry: (fault, attempt, delayMs) =>
      log.warn(
        `job ${job.id} could not be marked ${end} (${(fault as Error).message}): try ${attempt + 1} of ${END_RETRY.attempts} in ${Math.round(delayMs / 100) / 10} s`,
      ),
  }).catch((fault: unknown) => {
    log.warn(
      `job ${job.id} could not be marked ${end}: ${(fault as Error).message}; it stays active without its worker, and a sweep retries it${end === 'completed' ? ' (the files it loaded are skipped by the ledger then)' : ''}`,
    );
    return undefined;
  });
}

/**
 * How a job kept after END_RETRY is tried on: as the worker reconnects (RECONNECT), but at least every 5 s, a
 * sweep's interval: when a restart took the worker's liveness session too, the job is unlocked until the put-back,
 * which comes within that pause once the server is back: before a sweep takes the job for lost (LOST_GRACE_MS).
 */
const PUT_BACK_RETRY: RetryPolicy = { ...RECONNECT, maxDelayMs: 5000 };

/**
 * How long a sweep must itself have seen a job without any sign of its worker (its liveness lock unheld, no run of
 * it loading in the process holding its pipeline's lock) before it takes the job for a lost worker's: twice the
 * longest pause between a put-back's tries (END_RETRY, PUT_BACK_RETRY). A restart that ended a worker's liveness
 * session while it put a job back leaves the job unlocked, yet the worker tries on; once the database answers, its
 * next try comes within that pause, so its put-back (with the job's wait, no lost worker counted) lands before any
 * sweep, which sees the job only once the database answers, may take it. Counted from the sweep's own first look
 * (a sweep that reconnected starts afresh): a job of a worker really gone is recovered that much later.
 */
export const LOST_GRACE_MS = 2 * Math.max(END_RETRY.maxDelayMs, PUT_BACK_RETRY.maxDelayMs);

/**
 * Puts a job back to wait (deferJobAttempt, over a connection of its own) while the worker holds the job's liveness
 * lock, retrying faults of the database as a job's end is (END_RETRY). With `keepTrying` (a job that waits for its
 * turn: its delay matters, a locked pipeline would be taken again at once) the worker keeps the job after those
 * tries, active and locked (while its liveness session lasts), and tries on (PUT_BACK_RETRY) until the database
 * takes it or `keepTrying` aborts (the worker stops). What deferJobAttempt returned (false: the attempt was no
 * longer active), or undefined when the database could not take it (told here).
 */
async function putBack(
  url: string,
  log: Logger,
  job: QueuedJob,
  delaySeconds: number,
  output: Record<string, unknown>,
  keepTrying?: AbortSignal,
): Promise<boolean | undefined> {
  const defer = () => deferJobAttempt(url, job.id, job.startedOn, delaySeconds, output);
  const onRetry = (fault: unknown, attempt: number, delayMs: number) =>
    log.warn(
      `job ${job.id} could not be put back to wait (${(fault as Error).message}): try ${attempt + 1} in ${Math.round(delayMs / 100) / 10} s`,
    );
  const gaveUp = (fault: unknown) => {
    log.error(
      `job ${job.id} could not be put back to wait: ${(fault as Error).message}; it stays active, and once this worker has let it go a sweep puts it back, counted as a job of a lost worker${delaySeconds > 0 ? ` and without its ${delaySeconds} s wait` : ''}`,
    );
    return undefined;
  };
  try {
    return await retryWithBackoff(END_RETRY, defer, { onRetry });
  } catch (fault) {
    if (!keepTrying || keepTrying.aborted || !isInfrastructureFault(fault)) return gaveUp(fault);
    log.warn(
      `job ${job.id} could not be put back to wait after ${END_RETRY.attempts} tries (${(fault as Error).message}): this worker keeps it active (its liveness lock held while its database session lasts) and tries on until the database answers`,
    );
  }
  return retryWithBackoff(PUT_BACK_RETRY, defer, { signal: keepTrying, onRetry }).catch(gaveUp);
}

/** A new liveness session once the database answers again; undefined when the worker is stopped meanwhile. */
async function reopenSession(
  url: string,
  name: string,
  stop: AbortSignal,
  logger: Logger,
): Promise<LivenessSession | undefined> {
  for (let attempt = 1; !stop.aborted; attempt++) {
    try {
      const session = await openLivenessSession(url, name);
      logger.info(`worker reconnected to the database (after ${attempt} tries): taking jobs again`);
      return session;
    } catch (error) {
      if (!isInfrastructureFault(error)) throw error;
      const delayMs = backoffDelay(RECONNECT, attempt);
      logger.warn(
        `worker cannot reach the database (${(error as Error).message}): trying again in ${Math.round(delayMs / 1000)} s`,
      );
      await pause(delayMs, stop);
    }
  }
  return undefined;
}

/**
 * Works with one liveness session until `options.signal` aborts (false) or the session ends (true). Without its
 * session a worker's locks are gone: its jobs look dead to the others, whose sweep retries them. So its jobs
 * stop after their current file (the restart has failed them anyway) before it opens a new session.
 */
async function workOnSession(
  options: WorkerOptions,
  session: LivenessSession,
  report: WorkerReport,
): Promise<boolean> {
  const { queue, logger } = options;
  const stopping = new AbortController();
  const onStop = () => stopping.abort(options.signal.reason);
  options.signal.addEventListener('abort', onStop, { once: true });
  // Stopped before it got here (during start-up, or while the session reopened): it takes no job.
  if (options.signal.aborted) onStop();
  let sessionLost = false;
  session.on('end', () => {
    if (stopping.signal.aborted) return;
    sessionLost = true;
    logger.error(
      'the worker lost its database session (server restarted or unreachable): its jobs stop after their current file and are retried; it reconnects',
    );
    stopping.abort(
      'the worker lost its database session: stopped after the current file, the job is retried',
    );
  });
  const signal = stopping.signal;
  const running = new Map<string, AbortController>();
  const slotsHeld = new Map<string, Set<number>>();
  let turn = 0;

  // Jobs whose worker lost its session but still loads (stillLoading), told once each.
  const leftToLoader = new Set<string>();
  // Jobs seen without their worker's liveness lock, by attempt: when this sweep last saw a sign of their worker
  // (its first look counts as one). Taken for lost only LOST_GRACE_MS after that.
  const lastSignOfWorker = new Map<string, number>();
  const sweep = async () => {
    const recovered = await withSweepLock(session, () => lostJobs(session, LOST_AFTER_SECONDS)).then(
      async (lost) => {
        let recovered = 0;
        const attemptOf = (job: LostJob) => `${job.id}@${job.started_on.toISOString()}`;
        if (lost) {
          // Locked again, ended or taken meanwhile: forgotten (should it lose its lock again, the grace starts anew).
          const unlocked = new Set(lost.map(attemptOf));
          for (const attempt of lastSignOfWorker.keys())
            if (!unlocked.has(attempt)) lastSignOfWorker.delete(attempt);
        }
        for (const job of lost ?? []) {
          const attempt = attemptOf(job);
          // Without its liveness lock, yet its run still loading in the process that holds the pipeline's lock:
          // a worker that lost its session but lives (it stops after its current file and ends its run itself).
          const loading = await stillLoading(options.warehouse, job);
          const seen = lastSignOfWorker.get(attempt);
          if (loading || seen === undefined) lastSignOfWorker.set(attempt, Date.now());
          if (loading) {
            if (!leftToLoader.has(job.id)) {
              leftToLoader.add(job.id);
              logger.warn(
                `job ${job.id} (${await whatOf(options, job.data)}) has lost its worker's liveness lock, but its ${loading}: left to it (it stops after its current file and ends its run); put back to wait once that process lets the lock go`,
                { jobId: job.id },
              );
            }
            continue;
          }
          // Its worker may live and be putting it back through a restart (putBack): left to it for a grace.
          if (seen === undefined || Date.now() - seen < LOST_GRACE_MS) continue;
          lastSignOfWorker.delete(attempt);
          leftToLoader.delete(job.id);
          recovered++;
          const reason = `its worker ended (killed, or its machine lost) while it ran job ${job.id}`;
          const what = await whatOf(options, job.data);
          const lostWorkers = job.lost_workers + 1;
          // Put back first (the rest of its files are loaded by the next worker), its runs ended after.
          const put = lostWorkers <= MAX_LOST_WORKERS;
          if (put) {
            const waiting = `worker lost: ${reason}; put back to wait, no attempt counted`;
            // False: no longer active (completed or cancelled meanwhile): nothing to recover.
            if (!(await deferActiveJob(session, job.id, job.started_on, 0, { waiting, lostWorkers })))
              continue;
          } else if (
            // False: no longer active (the queue's expiry failed it meanwhile: its sweep below tells that).
            !(await queue.fail(
              job.queue,
              job.id,
              {
                message: `worker lost: ${reason} (${lostWorkers} workers in a row: counted as a failed attempt)`,
                lostWorkers,
              },
              { startedOn: job.started_on },
            ))
          )
            continue;
          const ended = await interruptRunsOfJob(options.warehouse, job.id, `process ended: ${reason}`);
          if (put) {
            logger.warn(
              `job ${job.id} (${what}) lost its worker: put back to wait, no attempt counted (${lostWorkers} of ${MAX_LOST_WORKERS} in a row), ${ended} run(s) marked interrupted`,
              { jobId: job.id },
            );
            continue;
          }
          const deadLettered = job.retry_count >= job.retry_limit;
          logger.error(
            `job ${job.id} (${what}) lost its worker ${lostWorkers} times in a row: failed (${deadLettered ? 'dead-lettered' : 'retried after its delay'}), ${ended} run(s) marked interrupted`,
            { jobId: job.id },
          );
          if (deadLettered)
            await alertDeadLettered(options, job.id, job.queue, job.data, job.retry_count + 1, reason);
        }
        return recovered;
      },
    );
    report.recovered += recovered;
    // Jobs pg-boss's own maintenance failed for staying active too long (expireInSeconds): dead-lettered by it, in
    // whichever process ran the maintenance, with none of the paths above seeing it. Told here, once.
    for (const job of (await withSweepLock(session, () => claimExpiredDeadLetters(session))) ?? []) {
      const reason = `still active after ${job.expire_seconds} s, its expiry (expireInSeconds): failed by the job queue's maintenance`;
      logger.error(
        `job ${job.id} (${await whatOf(options, job.data)}) failed (dead-lettered after ${job.retry_count + 1} attempt(s)): ${reason}`,
        { jobId: job.id },
      );
      await alertDeadLettered(options, job.id, job.queue, job.data, job.retry_count + 1, reason);
    }
    // Runs of dead processes of this machine (a worker killed before its run had a job id, an inline run).
    await markInterruptedRuns(options.warehouse);
    // Big files' loads of runs ended above (or elsewhere): helpers stop staging them, their tables go.
    const abandoned = await abandonChunkedLoadsOfEndedRuns(options.warehouse);
    if (abandoned > 0)
      logger.warn(`${abandoned} chunked load(s) of ended runs abandoned: their staging tables dropped`);
    const states = await jobStates(session, [...running.keys()]);
    for (const [id, state] of states) {
      if (state === 'cancelled' && !running.get(id)?.signal.aborted) {
        logger.warn(`job ${id} cancelled: stopping after the current file`, { jobId: id });
        running.get(id)?.abort('the job was cancelled (jobs cancel): stopped after the current file');
      }
    }
  };
  let sweeping = Promise.resolve();
  const sweepTimer = setInterval(() => {
    sweeping = sweeping
      .then(sweep)
      .catch((error: unknown) => logger.warn(`worker sweep failed: ${(error as Error).message}`));
  }, options.sweepMs ?? 5000);

  const pick = async (): Promise<{ job: QueuedJob; slot?: number } | undefined> => {
    for (let i = 0; i < options.queues.length; i++) {
      const name = options.queues[(turn + i) % options.queues.length]!;
      const limit = options.limits.get(name);
      let slot: number | undefined;
      if (limit !== undefined) {
        const held = slotsHeld.get(name) ?? new Set<number>();
        slotsHeld.set(name, held);
        slot = await takeQueueSlot(session, name, limit, held);
        if (slot === undefined) continue;
        held.add(slot);
      }
      const job = await queue.fetch(name);
      if (job) {
        turn = (turn + i + 1) % options.queues.length;
        return slot === undefined ? { job } : { job, slot };
      }
      if (slot !== undefined) await freeSlot(name, slot);
    }
    return undefined;
  };
  const freeSlot = async (name: string, slot: number) => {
    slotsHeld.get(name)?.delete(slot);
    await releaseQueueSlot(session, name, slot);
  };

  const runOne = async ({ job, slot }: { job: QueuedJob; slot?: number }) => {
    await holdJobLock(session, job.id);
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    running.set(job.id, stop);
    const log = logger.child({ jobId: job.id });
    // Its pipeline named as `pipelines list` names it (`…~1`), read once for the job's lines.
    const what = await whatOf(options, job.data);
    log.info(`job ${job.id} started: ${what} (attempt ${job.retryCount + 1} of ${job.retryLimit + 1})`);
    try {
      const output = await runHandler(job, what, log, stop.signal);
      if (output === undefined) return;
      // Completed before the liveness lock is let go: a sweep never sees it active and unlocked. The work is done
      // whatever happens to its record: a completion the database cannot take even after the retries is never
      // turned into the job's failure (it stays active, unlocked, and a sweep retries it: the ledger skips the
      // files it loaded).
      const completed = await recordEnd(log, job, 'completed', () =>
        queue.complete(job.queue, job.id, output, job),
      );
      if (completed === undefined) return;
      if (!completed) {
        log.error(
          `job ${job.id} finished its work, but the queue no longer had this attempt active (${await endedByQueue(session, job.id)}): ${what}`,
          output,
        );
        return;
      }
      report.completed++;
      log.info(`job ${job.id} completed: ${what}`, output);
    } finally {
      signal.removeEventListener('abort', onAbort);
      running.delete(job.id);
      await releaseJobLock(session, job.id).catch(() => undefined);
      if (slot !== undefined) await freeSlot(job.queue, slot).catch(() => undefined);
    }
  };

  /** The job's work: its output, or undefined when it ended otherwise (stopped, deferred, failed: told here). */
  const runHandler = async (
    job: QueuedJob,
    what: string,
    log: Logger,
    stopSignal: AbortSignal,
  ): Promise<Record<string, unknown> | undefined> => {
    try {
      if (!isJobKind(job.data.kind)) throw new JobFailure(`unknown job kind "${job.data.kind}"`);
      return await JOB_HANDLERS[job.data.kind](job.data, {
        job,
        warehouse: options.warehouse,
        catalog: options.catalog,
        queue,
        logger: log,
        stagingDir: options.stagingDir,
        ...(options.alerts ? { alerts: options.alerts } : {}),
        ...(options.pipelineNames ? { pipelineNames: options.pipelineNames } : {}),
        pipeline: options.pipeline,
        signal: stopSignal,
      });
    } catch (error) {
      if (error instanceof JobStopped && signal.aborted) {
        // The worker is stopping (SIGTERM, or its session lost): no fault of the job. It goes back to wait, no
        // attempt counted; the next worker loads what this one left. Put back over a connection of its own (the
        // session may be gone), tried through a restart (END_RETRY); should the database stay away, a sweep puts
        // it back instead, as any job of a lost worker.
        const put = await putBack(queue.url, log, job, 0, {
          waiting: `its worker stopped: ${error.message}; put back to wait, no attempt counted`,
          ...error.output,
        });
        log.warn(
          put
            ? `job ${job.id} stopped with the worker: put back to wait, no attempt counted; the files not loaded load when a worker takes it again: ${what}`
            : `job ${job.id} stopped with the worker: a sweep puts it back to wait: ${what}`,
        );
        return;
      }
      if (error instanceof JobStopped) {
        // Cancelled (jobs cancel): it stays cancelled, nothing is retried.
        log.warn(`job ${job.id} stopped: cancelled: ${what}: ${error.message}`);
        return;
      }
      if (error instanceof JobDeferred) {
        // Nothing was done: the job waits for its turn again, after its delay. Put back over a connection of its
        // own while this worker holds the job's liveness lock: a database fault meanwhile is tried again (until
        // the worker stops), and while the lock lasts no sweep takes the job for a lost worker's, nor skips its delay.
        const put = await putBack(
          queue.url,
          log,
          job,
          error.delaySeconds,
          { waiting: error.message },
          options.signal,
        );
        if (put) report.deferred++;
        if (put !== undefined) log.warn(`job ${job.id} waits: ${what}: ${error.message}`);
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      const output = error instanceof JobFailure ? error.output : {};
      // The database gone for longer than the retries (a restart): the job stays active without its lock, and a
      // sweep retries it.
      const failed = await recordEnd(log, job, 'failed', () =>
        queue.fail(job.queue, job.id, { message, ...output }, job),
      ).then((applied) => (applied === undefined ? false : applied || ('ended' as const)));
      if (failed === 'ended') {
        // Not told here: a dead letter of the expiry is told by the sweep (claimExpiredDeadLetters), a retry is not one.
        log.error(
          `job ${job.id} failed, but the queue no longer had this attempt active (${await endedByQueue(session, job.id)}): ${what}: ${message}`,
          output,
        );
        return;
      }
      if (failed) report.failed++;
      const deadLettered = job.retryCount >= job.retryLimit;
      const next = !failed
        ? 'left for a sweep to retry'
        : deadLettered
          ? `dead-lettered after ${job.retryCount + 1} attempt(s)`
          : 'retried after its delay';
      log.error(`job ${job.id} failed (${next}): ${what}: ${message}`, output);
      // The last attempt: nothing retries it. Told once (a run's own run-failed alert on it is enough).
      if (failed && deadLettered && !(error instanceof JobFailure && error.alerted))
        await alertDeadLettered(options, job.id, job.queue, job.data, job.retryCount + 1, message);
      return undefined;
    }
  };

  const slot = async () => {
    while (!signal.aborted) {
      const picked = await pick().catch((error: unknown) => {
        logger.warn(`worker could not fetch a job: ${(error as Error).message}`);
        return undefined;
      });
      if (picked)
        await runOne(picked).catch((error: unknown) => {
          logger.warn(`job ${picked.job.id} could not be run: ${(error as Error).message}`);
        });
      else await pause(options.pollMs ?? 1000, signal);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, slot));
  } finally {
    clearInterval(sweepTimer);
    await sweeping;
    options.signal.removeEventListener('abort', onStop);
    stopping.abort();
    await session.end().catch(() => undefined);
  }
  return sessionLost;
}

/**
 * How a job without its liveness lock is still being run, or undefined when it is not: a pipeline-run job one of
 * whose runs is `running` in the very process that holds the pipeline's lock. That process lives (its lock's
 * session would have ended with it) and loads into the run: the run must not be ended under it, nor the job given
 * to another worker (which would wait for the lock anyway). A worker whose liveness session ended stops such a job
 * after its current file, ends the run and lets the lock go; then the job is recovered as any other.
 */
async function stillLoading(warehouse: Warehouse, job: LostJob): Promise<string | undefined> {
  if (job.data.kind !== 'pipeline-run' || typeof job.data.pipeline !== 'string') return undefined;
  const holder = await pipelineLockHolder(warehouse, job.data.pipeline);
  const holding = holder?.process;
  if (!holding) return undefined;
  const run = (await runsOfJob(warehouse, job.id)).find(
    (candidate) =>
      candidate.status === 'running' &&
      candidate.pid === holding.pid &&
      // The lock's session name is cut at 63 bytes: a long host name may be cut in it.
      typeof candidate.host === 'string' &&
      candidate.host.startsWith(holding.host),
  );
  return run
    ? `run ${run.id} is still loading in process ${holding.pid}@${holding.host}, which holds pipeline ${job.data.pipeline}'s lock`
    : undefined;
}

/**
 * Why a worker's attempt is no longer active when it ends it: the queue's expiry failed it, then retried it or, on
 * its last attempt, dead-lettered it; or `jobs cancel` cancelled it; or a sweep that took this worker for lost
 * (its liveness session gone) put it back to wait. complete() and fail() end only the worker's own attempt, so a
 * retry another worker runs by then is left to that worker. The job's state now tells which (read for the log
 * only, after the fact: if the session does not answer, the causes are named).
 */
async function endedByQueue(session: LivenessSession, id: string): Promise<string> {
  const state = await jobStates(session, [id]).then(
    (states) => states.get(id),
    () => undefined,
  );
  const expired = 'active past its expiry (expireInSeconds): the queue failed it';
  if (state === 'active')
    return `${expired} and retried it, or a sweep put it back and another worker took it: this attempt was superseded, the other worker ends it`;
  if (state === 'retry' || state === 'created')
    return `it waits to run again: ${expired}, or a sweep that took this worker for lost put it back`;
  if (state === 'failed') return `${expired} on its last attempt and dead-lettered it (told by a sweep)`;
  if (state === 'cancelled') return 'cancelled meanwhile (jobs cancel)';
  return `${expired}, or it was cancelled or put back by a sweep`;
}

/** Tells the operators a job went to the dead-letter queue (never throws: the sink does not). */
async function alertDeadLettered(
  { alerts, pipelineNames = maskedPipelineNames }: Pick<WorkerOptions, 'alerts' | 'pipelineNames'>,
  id: string,
  queueName: string,
  data: Record<string, unknown>,
  attempts: number,
  reason: string,
): Promise<void> {
  if (!alerts) return;
  await alerts.alert(
    jobDeadLetteredEvent({
      id,
      queue: queueName,
      // Its title names the pipeline as `pipelines list` does (`…~1`).
      what: await whatOf({ pipelineNames }, data),
      pipeline: typeof data.pipeline === 'string' ? data.pipeline : undefined,
      kind: String(data.kind),
      attempts,
      reason,
    }),
  );
}

/**
 * How the logs and alerts name a job, its pipeline as `pipelines list` names it (`…~1`: the names read once, only
 * for a job that runs a pipeline; a listing that cannot be read: masked only).
 */
async function whatOf(
  { pipelineNames = maskedPipelineNames }: Pick<WorkerOptions, 'pipelineNames'>,
  data: Record<string, unknown>,
): Promise<string> {
  if (typeof data.pipeline !== 'string') return describe(data);
  return describe(data, await pipelineNames().catch(() => maskPersonalText));
}

/** How the logs name a job: its kind and what it is for (its pipeline named by `shown`: default as it is). */
export function describe(
  data: Record<string, unknown>,
  shown: (name: string) => string = (name) => name,
): string {
  const pipeline = typeof data.pipeline === 'string' ? shown(data.pipeline) : undefined;
  const parts = [data.kind, pipeline, data.partition].filter((part) => typeof part === 'string');
  return parts.join(' ');
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
