import { setTimeout as sleep } from 'node:timers/promises';
import type { AlertSink } from '../alerts/alert-event.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import type { Logger } from '../log/logger.ts';
import type { PipelineDefinition } from '../pipelines/pipeline-definition.ts';
import { QUEUES } from '../queue/job-kinds.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import { runWorker, type WorkerReport } from '../queue/run-worker.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { UsageError } from './exit-codes.ts';
import { pipelineNamed, stagingDir } from './pipeline-context.ts';
import { warehousePipelineNames } from './pipeline-names-shown.ts';

/** `--concurrency`, else CREDIT_ETL_WORKER_CONCURRENCY, else 1 (one machine's cores are shared with PostgreSQL). */
export function workerConcurrency(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const given = flag ?? env.CREDIT_ETL_WORKER_CONCURRENCY?.trim();
  if (given === undefined || given === '') return 1;
  const value = Number(given);
  if (!Number.isInteger(value) || value < 1 || value > 64)
    throw new UsageError(
      `${flag === undefined ? 'CREDIT_ETL_WORKER_CONCURRENCY=' : '--concurrency '}${given} is not a whole number from 1 to 64`,
    );
  return value;
}

/**
 * The queues a worker works: `--queues a,b` as given, else `pipelines`, `chunks` (help with big files' chunks,
 * src/queue/stage-chunks-job.ts) and every queue a pipeline names; and
 * the cluster-wide caps pipelines set on their queues (the smallest one given wins).
 */
export function workedQueues(
  pipelines: readonly PipelineDefinition[],
  flag: string | undefined,
): { queues: string[]; limits: Map<string, number> } {
  const limits = new Map<string, number>();
  for (const { queue } of pipelines) {
    if (queue?.concurrency === undefined) continue;
    limits.set(queue.name, Math.min(limits.get(queue.name) ?? queue.concurrency, queue.concurrency));
  }
  const named = [
    QUEUES.pipelines,
    QUEUES.chunks,
    ...pipelines.flatMap((pipeline) => pipeline.queue?.name ?? []),
  ];
  const queues = flag
    ? flag
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean)
    : [...new Set(named)];
  if (queues.length === 0)
    throw new UsageError('--queues names no queue: e.g. --queues pipelines,sftp-jinan');
  const bad = queues.find((name) => !/^[A-Za-z0-9_-]+$/.test(name) || name === QUEUES.deadLetter);
  if (bad !== undefined)
    throw new UsageError(
      `--queues: "${bad}" is not a queue a worker can work (letters, digits, _ and -; not ${QUEUES.deadLetter})`,
    );
  return { queues, limits };
}

export interface WorkJobsOptions {
  queue: JobQueue;
  warehouse: Warehouse;
  catalog: Catalog;
  logger: Logger;
  pipelines: readonly PipelineDefinition[];
  concurrency: number;
  queuesFlag?: string | undefined;
  signal: AbortSignal;
  /** Where failed runs are told (config/alerts.json). */
  alerts?: AlertSink;
}

/** Runs jobs until `signal` aborts (the first SIGTERM/SIGINT); the running jobs stop after their current unit. */
export async function workJobs(options: WorkJobsOptions): Promise<WorkerReport> {
  const { queues, limits } = workedQueues(options.pipelines, options.queuesFlag);
  const report = await runWorker({
    queue: options.queue,
    warehouse: options.warehouse,
    catalog: options.catalog,
    logger: options.logger,
    stagingDir: stagingDir(),
    queues,
    concurrency: options.concurrency,
    limits,
    // Checked against the catalog the worker runs with: an entry it lacks is refused before any run.
    pipeline: (name) => pipelineNamed(name, undefined, options.catalog),
    signal: options.signal,
    ...(options.alerts ? { alerts: options.alerts } : {}),
    // Its alerts and messages name pipelines as `pipelines list` does (`…~1`), to be typed back.
    pipelineNames: warehousePipelineNames(options.warehouse),
  });
  options.logger.info(
    `worker stopped: ${report.completed} job(s) completed, ${report.failed} failed, ${report.deferred} put back to wait for a locked pipeline, ${report.recovered} recovered from dead workers`,
    { ...report },
  );
  return report;
}

/**
 * `schedule --with-worker`: the worker beside the scheduler. A worker that fails (its database gone at a bad
 * moment, say) is started again after a pause, and the scheduler goes on: the process never stops its
 * triggers because its worker did. Ends when `signal` aborts.
 */
export async function keepWorking(options: WorkJobsOptions): Promise<void> {
  for (let failures = 0; !options.signal.aborted; ) {
    try {
      await workJobs(options);
      return;
    } catch (error) {
      failures++;
      const pauseMs = Math.min(60_000, 5000 * 2 ** (failures - 1));
      options.logger.error(
        `worker stopped: ${(error as Error).message}: the scheduler goes on, and the worker starts again in ${pauseMs / 1000} s`,
      );
      await sleep(pauseMs, undefined, { signal: options.signal }).catch(() => undefined);
    }
  }
}
