import type { AlertSink } from '../alerts/alert-event.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import type { Logger } from '../log/logger.ts';
import type { PipelineDefinition } from '../pipelines/pipeline-definition.ts';
import type { PipelineNamesNow } from '../pipelines/pipeline-names-shown.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import type { JobKind } from './job-kinds.ts';
import type { JobData, JobQueue, QueuedJob } from './job-queue.ts';
import { runPipelineJob } from './pipeline-run-job.ts';
import { stageChunksJob } from './stage-chunks-job.ts';

/** What a handler gets besides its job: the open warehouse, the catalog, the queue (to enqueue follow-ups). */
export interface JobContext {
  job: QueuedJob;
  warehouse: Warehouse;
  catalog: Catalog;
  queue: JobQueue;
  logger: Logger;
  /** Where transports put downloads in progress. */
  stagingDir: string;
  /** A pipeline by name, as the worker loads them (a bad or unknown one throws: the job completes unrun, alerted). */
  pipeline(name: string): Promise<PipelineDefinition>;
  /** Aborted when the worker stops (SIGTERM) or the job is cancelled: finish the current unit, then return. */
  signal: AbortSignal;
  /** Where a run that fails or stops at a threshold is told (config/alerts.json); none: no alerts. */
  alerts?: AlertSink;
  /** How messages and alerts name pipelines, as `pipelines list` does (`…~1`); default masked only. */
  pipelineNames?: PipelineNamesNow;
}

/**
 * Runs one job. Returns what is kept as the job's output (it completes), or throws: a `JobFailure` (or any
 * error) fails the job, which the queue retries after its delay and dead-letters after the last attempt; a
 * `JobDeferred` puts it back to wait, no attempt counted, and so does a `JobStopped` stopped with its worker.
 */
export type JobHandler = (data: JobData, context: JobContext) => Promise<Record<string, unknown>>;

/**
 * A job that did not do its work; `output` (e.g. the run id) is kept with the error. `alerted`: the handler has
 * told the operators already (a run's own `run-failed` on the last attempt), so its dead-letter raises no second
 * alert.
 */
export class JobFailure extends Error {
  override readonly name = 'JobFailure';
  constructor(
    message: string,
    readonly output: Record<string, unknown> = {},
    readonly alerted = false,
  ) {
    super(message);
  }
}

/**
 * A job stopped before it finished because its signal aborted (the worker stopping, or the job cancelled): no
 * fault of the job. Stopped with its worker, it is put back to wait without counting an attempt (the rest is done
 * by whichever worker takes it next); cancelled, it stays cancelled.
 */
export class JobStopped extends Error {
  override readonly name = 'JobStopped';
  constructor(
    message: string,
    readonly output: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/**
 * A job that could not start yet and did nothing (its pipeline is locked by another process's run): the worker
 * puts it back to wait `delaySeconds` without counting an attempt, so waiting never dead-letters it.
 */
export class JobDeferred extends Error {
  override readonly name = 'JobDeferred';
  constructor(
    message: string,
    readonly delaySeconds: number,
  ) {
    super(message);
  }
}

/** Every kind's handler, listed by hand (one registry file, as connectors/registry.ts lists transports). */
export const JOB_HANDLERS: Readonly<Record<JobKind, JobHandler>> = {
  'pipeline-run': runPipelineJob,
  'stage-chunks': stageChunksJob,
};
