import { partitionDay } from '../pipelines/partition-day.ts';
import type { PipelineDefinition } from '../pipelines/pipeline-definition.ts';
import type { Thresholds } from '../run/reject-threshold.ts';
import { JOB_PRIORITY, type PipelineRunJob, pipelineRunKey, QUEUES } from './job-kinds.ts';
import type { Enqueued, JobQueue } from './job-queue.ts';

export interface PipelineRunRequest {
  /** What asked for the run: it decides the priority (JOB_PRIORITY) and the run's kind. */
  origin: keyof typeof JOB_PRIORITY;
  /** A backfill's day; else the pipeline's partition day counted from `triggeredAt`. */
  partition?: string;
  /** When the run was triggered (default now). */
  triggeredAt?: Date;
  /** Thresholds given on the command line; none: the pipeline's own when the job runs. */
  thresholds?: Thresholds;
}

/**
 * Queues one run of a pipeline for one partition day. At most one such job is pending or running (its
 * singleton key): a second trigger returns the first job; for a scheduled run, so does a completed job of the
 * same trigger. The pipeline's `retry` becomes the job's (attempts,
 * backoff), and its `queue` the queue the job waits in.
 */
export async function enqueuePipelineRun(
  queue: JobQueue,
  pipeline: PipelineDefinition,
  request: PipelineRunRequest,
): Promise<Enqueued & { partition: string }> {
  const triggeredAt = request.triggeredAt ?? new Date();
  const partition = request.partition ?? partitionDay(pipeline.partition, triggeredAt);
  const data: PipelineRunJob = {
    kind: 'pipeline-run',
    pipeline: pipeline.name,
    runKind: request.origin === 'backfill' ? 'backfill' : 'pipeline',
    partition,
    ...(request.origin === 'backfill' ? {} : { triggeredAt: triggeredAt.toISOString() }),
    ...(request.thresholds ? { thresholds: request.thresholds } : {}),
  };
  const enqueued = await queue.enqueue(data, {
    queue: pipeline.queue?.name ?? QUEUES.pipelines,
    priority: JOB_PRIORITY[request.origin],
    singletonKey: pipelineRunKey(pipeline.name, partition),
    retryLimit: pipeline.retry.attempts - 1,
    retryDelaySeconds: pipeline.retry.backoffSeconds,
    // A cron tick is the same in every scheduler: once its job completed, a late or retried send of it is no new run.
    ...(request.origin === 'scheduled' ? { onceForTrigger: triggeredAt.toISOString() } : {}),
  });
  return { ...enqueued, partition };
}
