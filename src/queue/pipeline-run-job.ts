import type { AlertSink } from '../alerts/alert-event.ts';
import { runPipeline } from '../pipelines/run-pipeline.ts';
import { findRun } from '../warehouse/runs-repository.ts';
import type { JobContext } from './job-handlers.ts';
import { JobDeferred, JobFailure, JobStopped } from './job-handlers.ts';
import type { PipelineRunJob } from './job-kinds.ts';
import type { JobData } from './job-queue.ts';
import { chunkHelpersOf } from './stage-chunks-job.ts';

/**
 * One queued run of a pipeline, as `run` would do it inline, with the job's id on the run. The queue retries
 * (another worker may take the next attempt), so the run itself is tried once: the pipeline's `retry` became
 * the job's retry limit and delay when it was enqueued. A run that completed, or stopped at a reject
 * threshold (the file's own defect: trying again changes nothing), completes the job; a failed run fails it; an
 * interrupted one (the worker stopping, the job cancelled) stops it (JobStopped: put back, no attempt counted, or
 * left cancelled). A pipeline locked by another process (a long backfill day, a run of `run`) has not started: the
 * job waits and tries again, no attempt counted (LOCKED_WAIT_SECONDS). A failed run is alerted (`run-failed`) on
 * the job's last attempt only: before it the queue retries, and "failed after its retries" is not yet true.
 */
export async function runPipelineJob(data: JobData, context: JobContext): Promise<Record<string, unknown>> {
  const job = data as PipelineRunJob;
  const pipeline = await context.pipeline(job.pipeline);
  const lastAttempt = context.job.retryCount >= context.job.retryLimit;
  const result = await runPipeline(
    context.warehouse,
    context.catalog,
    { ...pipeline, retry: { attempts: 1, backoffSeconds: 0 } },
    {
      kind: job.runKind,
      ...(job.runKind === 'backfill'
        ? { partition: job.partition }
        : { triggeredAt: new Date(job.triggeredAt ?? Date.now()) }),
      ...(job.thresholds ? { thresholds: job.thresholds } : {}),
      signal: context.signal,
      stagingDir: context.stagingDir,
      jobId: context.job.id,
      chunkHelpers: chunkHelpersOf(context.queue),
      ...(context.alerts ? { alerts: lastAttempt ? context.alerts : withoutRunFailed(context.alerts) } : {}),
    },
    context.logger,
  );
  if (result.status === 'locked') {
    const wait = lockedWaitSeconds(pipeline.retry.backoffSeconds);
    throw new JobDeferred(
      `waits for pipeline ${job.pipeline}'s lock (a run of it is going on in another process): tried again in ${wait} s, no attempt counted`,
      wait,
    );
  }
  const { summary } = result;
  const output = { runId: summary.runId, status: summary.status, counts: summary.counts };
  if (summary.status === 'completed' || summary.status === 'failed-threshold') return output;
  if (summary.status === 'interrupted') {
    throw new JobStopped(
      `run ${summary.runId} stopped before it finished (the worker is stopping or the job was cancelled)`,
      output,
    );
  }
  const run = await findRun(context.warehouse, summary.runId);
  throw new JobFailure(
    `run ${summary.runId} failed: ${run?.error ?? 'see credit-etl runs show'}`,
    output,
    lastAttempt && context.alerts !== undefined,
  );
}

/** The sink minus `run-failed`: an attempt the queue will retry is not a run that failed after its retries. */
function withoutRunFailed(alerts: AlertSink): AlertSink {
  return { alert: (event) => (event.kind === 'run-failed' ? Promise.resolve() : alerts.alert(event)) };
}

/** How long a job whose pipeline is locked waits before it looks again: the pipeline's backoff, 5 s to 60 s. */
export const LOCKED_WAIT_SECONDS = { min: 5, max: 60 } as const;

export function lockedWaitSeconds(backoffSeconds: number): number {
  return Math.min(LOCKED_WAIT_SECONDS.max, Math.max(LOCKED_WAIT_SECONDS.min, Math.round(backoffSeconds)));
}
