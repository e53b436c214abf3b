import cron, { type ScheduledTask } from 'node-cron';
import { shanghaiTime } from '../../connectors/shanghai-time.ts';
import type { Logger } from '../log/logger.ts';
import type { PipelineDefinition } from '../pipelines/pipeline-definition.ts';
import type { PipelineNameShown } from '../pipelines/pipeline-names-shown.ts';
import { type MissingCalendarYear, startCalendarWatch } from './calendar-watch.ts';
import { retryingInfrastructureFaults } from './retry-trigger.ts';

/** Schedules are read as the platform's operators mean them: Beijing time, whatever the server's zone. */
export const SCHEDULE_TIMEZONE = 'Asia/Shanghai';

export interface SchedulerOptions {
  pipelines: PipelineDefinition[];
  /**
   * One run of a pipeline; `signal` aborts when the scheduler stops (finish the current unit, then return).
   * `scheduledAt` is the trigger's time: the run's partition day counts from it (a run triggered at 23:59:59
   * is for the same day however long it waits for a connection).
   */
  runPipeline(pipeline: PipelineDefinition, signal: AbortSignal, scheduledAt: Date): Promise<void>;
  logger: Logger;
  /** Alert hook: a year without holiday calendar data begins within 60 days (checked at start and daily). */
  onCalendarYearMissing?: (missing: MissingCalendarYear) => void;
  /** Warehouse jobs beside the pipelines (the nightly `verify`), each on its own cron in Asia/Shanghai. */
  jobs?: ScheduledJob[];
  /**
   * How its log lines name a pipeline, as `pipelines list` did when it started (`…~1`); default: as it is (masked
   * by the logger).
   */
  pipelineShown?: PipelineNameShown;
}

/** A job the scheduler runs on a cron of its own, as it runs a pipeline (no overlap, stop waits for it). */
export interface ScheduledJob {
  name: string;
  cron: string;
  run(signal: AbortSignal, scheduledAt: Date): Promise<void>;
}

export interface Scheduler {
  /** Pipelines with a schedule and the jobs, each with its task (by pipeline or job name). */
  readonly tasks: ReadonlyMap<string, ScheduledTask>;
  /** Takes no more triggers, asks running pipelines to stop after their unit, and waits for them. */
  stop(): Promise<void>;
}

/** The first trigger of `expression` after the one at `scheduledAt`: until then, that trigger's work may go on. */
export function nextTriggerAfter(expression: string, scheduledAt: Date): Date | undefined {
  return nextTriggers(expression, 3).find((at) => at.getTime() >= scheduledAt.getTime() + 1000);
}

/** The next `count` trigger times of a cron expression in Asia/Shanghai (shown by `pipelines show`). */
export function nextTriggers(expression: string, count: number): Date[] {
  const task = cron.createTask(expression, () => undefined, { timezone: SCHEDULE_TIMEZONE });
  try {
    return task.getNextRuns(count);
  } finally {
    void task.destroy();
  }
}

/**
 * One node-cron task per scheduled pipeline. `noOverlap`: a trigger that arrives while the pipeline's previous
 * run is still going is skipped and logged, never queued. Exclusion across processes and machines is the
 * pipeline lock taken by the run itself.
 */
export function startScheduler(options: SchedulerOptions): Scheduler {
  const { logger } = options;
  const stopping = new AbortController();
  const running = new Set<Promise<void>>();
  const tasks = new Map<string, ScheduledTask>();
  // Data never stops for a missing holiday year, but operators should add it before it starts.
  const calendarWatch = startCalendarWatch({
    logger,
    ...(options.onCalendarYearMissing ? { onCalendarYearMissing: options.onCalendarYearMissing } : {}),
  });
  /** `name` keys the task; `label` is how the logs name what runs ("pipeline x", "verify"). */
  const schedule = (
    name: string,
    label: string,
    expression: string,
    run: ScheduledJob['run'],
    log: Logger,
  ) => {
    const task = cron.createTask(
      expression,
      async (context) => {
        if (stopping.signal.aborted) return;
        const pending = run(stopping.signal, context.date).catch((error: unknown) => {
          log.error(`${label} failed: ${(error as Error).message}`);
        });
        running.add(pending);
        try {
          await pending;
        } finally {
          running.delete(pending);
        }
      },
      { timezone: SCHEDULE_TIMEZONE, noOverlap: true, name, logger: cronLogger(log) },
    );
    task.on('execution:overlap', (context) => {
      log.warn(`trigger at ${context.dateLocalIso} skipped: ${label} is still running`, {
        skipped: 'overlap',
      });
    });
    tasks.set(name, task);
    void task.start();
    const nextRun = task.getNextRun();
    log.info(
      `scheduled "${expression}" (${SCHEDULE_TIMEZONE}); next ${nextRun ? `${shanghaiTime(nextRun)} (Asia/Shanghai)` : 'none'}`,
    );
  };
  const shown = options.pipelineShown ?? ((name: string) => name);
  for (const pipeline of options.pipelines) {
    const expression = pipeline.schedule.cron;
    if (!expression || !pipeline.schedule.enabled) continue;
    schedule(
      pipeline.name,
      `pipeline ${shown(pipeline.name)}`,
      expression,
      (signal, scheduledAt) => options.runPipeline(pipeline, signal, scheduledAt),
      logger.child({ pipeline: shown(pipeline.name) }),
    );
  }
  for (const job of options.jobs ?? []) {
    const log = logger.child({ job: job.name });
    // A pipeline's trigger retries its own queuing (queue-scheduled-run.ts); a job's work is retried here.
    const run: ScheduledJob['run'] = (signal, scheduledAt) =>
      retryingInfrastructureFaults(() => job.run(signal, scheduledAt), {
        label: job.name,
        nextTrigger: nextTriggerAfter(job.cron, scheduledAt),
        signal,
        log,
      });
    schedule(job.name, job.name, job.cron, run, log);
  }
  return {
    tasks,
    async stop() {
      stopping.abort();
      await calendarWatch.destroy();
      await Promise.all([...tasks.values()].map((task) => task.stop()));
      await Promise.all(running);
      await Promise.all([...tasks.values()].map((task) => task.destroy()));
    },
  };
}

/** node-cron's own messages through our logger (JSON lines), at debug: we log the overlaps ourselves. */
function cronLogger(log: Logger) {
  const text = (message: string | Error) => (message instanceof Error ? message.message : message);
  return {
    info: (message: string) => log.debug(message),
    warn: (message: string) => log.debug(message),
    error: (message: string | Error) => log.error(text(message)),
    debug: (message: string | Error) => log.debug(text(message)),
  };
}
