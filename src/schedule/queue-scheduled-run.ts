import { setTimeout as sleep } from 'node:timers/promises';
import { isInfrastructureFault } from '../../connectors/infrastructure-fault.ts';
import { shanghaiTime } from '../../connectors/shanghai-time.ts';
import { backoffDelay, type RetryPolicy } from '../../connectors/transports/retry-with-backoff.ts';
import type { AlertEvent, AlertSink } from '../alerts/alert-event.ts';
import type { Logger } from '../log/logger.ts';
import { partitionDay } from '../pipelines/partition-day.ts';
import type { PipelineDefinition } from '../pipelines/pipeline-definition.ts';
import { enqueuePipelineRun } from '../queue/enqueue-pipeline-run.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import { nextTriggers } from './scheduler.ts';

/** Waits between tries to queue a trigger's run while the database is unreachable. */
export const ENQUEUE_RETRY: RetryPolicy = {
  attempts: Number.POSITIVE_INFINITY,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
};

export interface QueueScheduledRunOptions {
  logger: Logger;
  /** Told when a trigger's run could not be queued before the pipeline's next trigger. */
  alerts?: AlertSink;
  /** The scheduler stops: no more tries. */
  signal: AbortSignal;
}

/**
 * Queues the run of one trigger. A database that is down or restarting (an infrastructure fault) does not lose
 * the trigger: it is queued again after a growing pause until it is queued, or until the pipeline's next
 * trigger is due (that one queues its own run; a nightly cron has until the next night). Given up, the trigger
 * is logged as an error and alerted as a failed run. Any other error is thrown as it is.
 */
export async function queueScheduledRun(
  queue: JobQueue,
  pipeline: PipelineDefinition,
  scheduledAt: Date,
  options: QueueScheduledRunOptions,
): Promise<void> {
  const { logger } = options;
  const deadline = nextTriggerAfter(pipeline, scheduledAt);
  for (let attempt = 1; ; attempt++) {
    try {
      const job = await enqueuePipelineRun(queue, pipeline, {
        origin: 'scheduled',
        triggeredAt: scheduledAt,
      });
      logger.info(
        job.created
          ? `pipeline ${pipeline.name}: queued job ${job.id} for ${job.partition}`
          : `pipeline ${pipeline.name}: job ${job.id} for ${job.partition} is already queued or running`,
        {
          jobId: job.id,
          pipeline: pipeline.name,
          partition: job.partition,
          ...(attempt > 1 ? { attempt } : {}),
        },
      );
      return;
    } catch (error) {
      if (!isInfrastructureFault(error)) throw error;
      const reason = (error as Error).message;
      const delayMs = backoffDelay(ENQUEUE_RETRY, attempt);
      // Stop a second before the next trigger: it must find this one finished, or it is skipped as an overlap.
      const tooLate = deadline !== undefined && Date.now() + delayMs > deadline.getTime() - 1000;
      if (tooLate || options.signal.aborted) {
        const why = options.signal.aborted ? 'the scheduler is stopping' : 'its next trigger is due';
        logger.error(
          `pipeline ${pipeline.name}: the run triggered at ${shanghaiTime(scheduledAt)} was not queued (${why}) after ${attempt} tries: ${reason}`,
          { pipeline: pipeline.name, notQueued: scheduledAt.toISOString() },
        );
        if (!options.signal.aborted)
          await options.alerts?.alert(
            triggerNotQueuedEvent(pipeline.name, {
              scheduledAt,
              partition: partitionDay(pipeline.partition, scheduledAt),
              reason,
              nextTrigger: deadline,
            }),
          );
        return;
      }
      logger.warn(
        `pipeline ${pipeline.name}: could not queue the run triggered at ${shanghaiTime(scheduledAt)} (${reason}): trying again in ${Math.round(delayMs / 1000)} s` +
          (deadline ? `, until its next trigger at ${shanghaiTime(deadline)}` : ''),
        { pipeline: pipeline.name, attempt },
      );
      const stopped = await sleep(delayMs, false, { signal: options.signal }).catch(() => true);
      if (stopped) {
        logger.error(
          `pipeline ${pipeline.name}: the run triggered at ${shanghaiTime(scheduledAt)} was not queued (the scheduler is stopping): ${reason}`,
          { pipeline: pipeline.name, notQueued: scheduledAt.toISOString() },
        );
        return;
      }
    }
  }
}

/** The pipeline's first trigger after `scheduledAt` (undefined: it has no cron). */
function nextTriggerAfter(pipeline: PipelineDefinition, scheduledAt: Date): Date | undefined {
  const expression = pipeline.schedule.cron;
  if (!expression) return undefined;
  return nextTriggers(expression, 3).find((at) => at.getTime() >= scheduledAt.getTime() + 1000);
}

/** A trigger whose run was never queued: to the operators it is a failed run of the pipeline. */
export function triggerNotQueuedEvent(
  pipeline: string,
  trigger: { scheduledAt: Date; partition: string; reason: string; nextTrigger: Date | undefined },
): AlertEvent {
  const { scheduledAt, partition, reason, nextTrigger } = trigger;
  return {
    kind: 'run-failed',
    key: `run-failed:${pipeline}`,
    title: `管道 ${pipeline} 定时运行未能排队，本次未运行`,
    lines: [
      `数据日期：${partition}`,
      `触发时间：${shanghaiTime(scheduledAt)}`,
      `原因：数据库不可用：${reason}`,
      ...(nextTrigger ? [`下次触发：${shanghaiTime(nextTrigger)}`] : []),
      `补跑：credit-etl backfill ${pipeline} --from ${partition} --to ${partition} --enqueue`,
    ],
    at: new Date(),
  };
}
