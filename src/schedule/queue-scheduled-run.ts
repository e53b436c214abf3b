import { isInfrastructureFault } from '../../connectors/infrastructure-fault.ts';
import { shanghaiTime } from '../../connectors/shanghai-time.ts';
import type { AlertEvent, AlertSink } from '../alerts/alert-event.ts';
import type { Logger } from '../log/logger.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import { partitionDay } from '../pipelines/partition-day.ts';
import type { PipelineDefinition } from '../pipelines/pipeline-definition.ts';
import { maskedPipelineNames, type PipelineNamesNow } from '../pipelines/pipeline-names-shown.ts';
import { enqueuePipelineRun } from '../queue/enqueue-pipeline-run.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import { retryingInfrastructureFaults } from './retry-trigger.ts';
import { nextTriggerAfter } from './scheduler.ts';

export interface QueueScheduledRunOptions {
  logger: Logger;
  /** Told when a trigger's run could not be queued before the pipeline's next trigger. */
  alerts?: AlertSink;
  /** The scheduler stops: no more tries. */
  signal: AbortSignal;
  /** How its log lines and alert name the pipeline (as `pipelines list` does, `…~1`); default masked only. */
  pipelineNames?: PipelineNamesNow;
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
  const { logger, signal } = options;
  // Read once for this trigger's lines (a listing that cannot be read: masked only).
  const names = await (options.pipelineNames ?? maskedPipelineNames)().catch(() => maskPersonalText);
  const shown = names(pipeline.name);
  const cronExpression = pipeline.schedule.cron;
  const deadline = cronExpression ? nextTriggerAfter(cronExpression, scheduledAt) : undefined;
  const enqueue = async () => {
    const job = await enqueuePipelineRun(queue, pipeline, { origin: 'scheduled', triggeredAt: scheduledAt });
    logger.info(
      job.created
        ? `pipeline ${shown}: queued job ${job.id} for ${job.partition}`
        : `pipeline ${shown}: job ${job.id} for ${job.partition} is already queued or running`,
      { jobId: job.id, pipeline: shown, partition: job.partition },
    );
  };
  try {
    // Stops a second before the next trigger: it must find this one finished, or it is skipped as an overlap.
    await retryingInfrastructureFaults(enqueue, {
      label: `pipeline ${shown}: could not queue the run triggered at ${shanghaiTime(scheduledAt)}`,
      nextTrigger: deadline,
      signal,
      log: logger,
    });
  } catch (error) {
    if (!isInfrastructureFault(error)) throw error;
    const reason = (error as Error).message;
    const why = signal.aborted ? 'the scheduler is stopping' : 'its next trigger is due';
    logger.error(
      `pipeline ${shown}: the run triggered at ${shanghaiTime(scheduledAt)} was not queued (${why}): ${reason}`,
      { pipeline: shown, notQueued: scheduledAt.toISOString() },
    );
    if (signal.aborted) return;
    await options.alerts?.alert(
      triggerNotQueuedEvent(
        pipeline.name,
        {
          scheduledAt,
          partition: partitionDay(pipeline.partition, scheduledAt),
          reason,
          nextTrigger: deadline,
        },
        shown,
      ),
    );
  }
}

/**
 * A trigger whose run was never queued: to the operators it is a failed run of the pipeline (its repeat key), named
 * in the text as `shown` (as `pipelines list` does), so that its backfill hint can be typed back.
 */
export function triggerNotQueuedEvent(
  pipeline: string,
  trigger: { scheduledAt: Date; partition: string; reason: string; nextTrigger: Date | undefined },
  shown = pipeline,
): AlertEvent {
  const { scheduledAt, partition, reason, nextTrigger } = trigger;
  return {
    kind: 'run-failed',
    key: `run-failed:${pipeline}`,
    title: `管道 ${shown} 定时运行未能排队，本次未运行`,
    lines: [
      `数据日期：${partition}`,
      `触发时间：${shanghaiTime(scheduledAt)}`,
      `原因：数据库不可用：${reason}`,
      ...(nextTrigger ? [`下次触发：${shanghaiTime(nextTrigger)}`] : []),
      `补跑：credit-etl backfill ${shown} --from ${partition} --to ${partition} --enqueue`,
    ],
    at: new Date(),
  };
}
