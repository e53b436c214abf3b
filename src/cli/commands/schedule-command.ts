import type { Command } from 'commander';
import { todayInShanghai } from '../../../connectors/shanghai-time.ts';
import type { AlertSink } from '../../alerts/alert-event.ts';
import {
  calendarYearMissingEvent,
  objectionsOverdueEvent,
  verifyFailedEvent,
} from '../../alerts/alert-events.ts';
import { openAlerts } from '../../alerts/open-alerts.ts';
import { type Catalog, loadCatalog } from '../../catalog/load-catalog.ts';
import type { Logger } from '../../log/logger.ts';
import { metricsListenFrom } from '../../metrics/metrics-listen.ts';
import { checkOverdueObjections, overdueLine } from '../../objections/overdue-objections.ts';
import { formatProblem } from '../../pipelines/load-pipelines.ts';
import type { PipelineDefinition } from '../../pipelines/pipeline-definition.ts';
import { openQueue } from '../../queue/open-queue.ts';
import { checkUpdateCycles, deliveryDeadlineJobs } from '../../schedule/delivery-watch.ts';
import { queueScheduledRun } from '../../schedule/queue-scheduled-run.ts';
import { type ScheduledJob, startScheduler } from '../../schedule/scheduler.ts';
import { verifyWarehouse } from '../../verify/verify-warehouse.ts';
import { type Warehouse, warehouseUrl } from '../../warehouse/connect-warehouse.ts';
import { onceAcrossSchedulers } from '../../warehouse/scheduled-claims.ts';
import { commandContext } from '../command-context.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { allPipelines } from '../pipeline-context.ts';
import { warehousePipelineNames } from '../pipeline-names-shown.ts';
import { untilStopped, withWarehouse } from '../with-warehouse.ts';
import { keepWorking, workerConcurrency } from '../work-jobs.ts';

interface ScheduleFlags {
  withWorker?: boolean;
  concurrency?: string;
}

export function registerScheduleCommand(program: Command): void {
  program
    .command('schedule')
    .description(
      'long-running: queue each pipeline run on its cron schedule (workers run them), verify nightly and check objections daily (Asia/Shanghai), until SIGTERM/SIGINT',
    )
    .option('--with-worker', 'also run queued jobs in this process (one machine: `npm start`)')
    .option(
      '--concurrency <n>',
      'with --with-worker: jobs at once (default CREDIT_ETL_WORKER_CONCURRENCY, else 1)',
    )
    .action(async (flags: ScheduleFlags) => {
      const { config, logger } = commandContext();
      const concurrency = workerConcurrency(flags.concurrency);
      const { pipelines, problems } = await allPipelines();
      // A scheduler that silently drops a broken feed would be found out weeks later: refuse to start.
      if (problems.length > 0) throw new UsageError(problems.map(formatProblem).join('\n'));
      const scheduled = pipelines.filter((pipeline) => pipeline.schedule.cron && pipeline.schedule.enabled);
      // The nightly verify alone is worth a scheduler; with it switched off, an empty one would do nothing.
      if (scheduled.length === 0 && !config.verifyCron && !config.objectionCheckCron)
        throw new UsageError(
          'no pipeline has a schedule and CREDIT_ETL_VERIFY_CRON and CREDIT_ETL_OBJECTION_CHECK_CRON are off: add "schedule": {"cron": …}',
        );
      // The worker of --with-worker runs with the catalog read at start-up; the daily checks read it again each
      // time: an entry version published later (workers elsewhere restarted to load with it, docs/operating.md) is
      // then known to the check of what they load, not reported as unknown on legal records.
      const catalog = await loadCatalog(config.catalogDir);
      const catalogNow = catalogReadAgain(config.catalogDir, catalog, logger);
      const metricsListen = metricsListenFrom();
      const stop = new AbortController();
      process.exitCode = await withWarehouse(
        config,
        logger,
        async (warehouse) => {
          const alerts = await openAlerts(warehouse, logger);
          // Its alerts and log lines name pipelines as `pipelines list` does (`…~1`), to be typed back.
          const pipelineNames = warehousePipelineNames(warehouse);
          const metrics = metricsListen
            ? await (await import('../../metrics/metrics-server.ts')).startMetricsServer(
                metricsListen,
                { warehouse, component: 'schedule' },
                logger,
              )
            : undefined;
          const queue = await openQueue(warehouseUrl(warehouse), { logger });
          // Stopped during start-up (the warehouse's or its own): nothing is started, it stops at once (exit 0).
          const scheduler = stop.signal.aborted
            ? undefined
            : startScheduler({
                pipelines: scheduled,
                logger,
                pipelineShown: await pipelineNames(),
                onCalendarYearMissing: (missing) => void alerts.alert(calendarYearMissingEvent(missing)),
                jobs: [
                  ...(config.verifyCron
                    ? [nightlyVerify(warehouse, catalogNow, config.verifyCron, logger, alerts)]
                    : []),
                  ...(config.objectionCheckCron
                    ? [dailyObjectionCheck(warehouse, config.objectionCheckCron, logger, alerts)]
                    : []),
                  ...deliveryDeadlineJobs(pipelines, warehouse, alerts, logger, pipelineNames),
                  dailyUpdateCycleCheck(pipelines, catalogNow, warehouse, logger, alerts),
                ],
                // A trigger queues the run; workers (this process too with --with-worker) run it. Another
                // scheduler's trigger for the same pipeline and day finds the job pending and adds none.
                // A trigger while the database is down is queued once it is back (before the next trigger).
                runPipeline: (pipeline, signal, scheduledAt) =>
                  queueScheduledRun(queue, pipeline, scheduledAt, { logger, alerts, signal, pipelineNames }),
              });
          const verifying =
            (config.verifyCron ? `, verify "${config.verifyCron}"` : ', verify off') +
            (config.objectionCheckCron
              ? `, objection check "${config.objectionCheckCron}"`
              : ', objection check off');
          if (scheduler)
            logger.info(
              `scheduler started: ${scheduled.length} pipeline(s)${verifying}; SIGTERM or SIGINT stops it`,
            );
          // The scheduler never stops with its worker: a worker that fails is started again (work-jobs.ts).
          const worker =
            scheduler && flags.withWorker
              ? keepWorking({
                  queue,
                  warehouse,
                  catalog,
                  logger,
                  pipelines,
                  alerts,
                  concurrency,
                  signal: stop.signal,
                })
              : undefined;
          try {
            // A stop that came before this wait (during start-up) ends it at once.
            await untilStopped(stop.signal);
            await scheduler?.stop();
            await worker;
          } finally {
            await queue.stop();
            await alerts.close();
            await metrics?.close();
          }
          logger.info('scheduler stopped');
          return EXIT.ok;
        },
        stop,
        'engine',
        // The embedded server killed under it never comes back: exit 1 to be started again, not retry forever.
        { exitWhenServerGone: true },
      );
    });
}

/**
 * The whole warehouse verified on `cron` (CREDIT_ETL_VERIFY_CRON), recorded as a run of kind `verify` like any
 * run: altered history is a failed run, visible in `runs list`, and an error in the log naming what was found.
 */
export function nightlyVerify(
  warehouse: Warehouse,
  catalogNow: () => Promise<Catalog>,
  cron: string,
  logger: Logger,
  alerts: AlertSink,
): ScheduledJob {
  return {
    name: 'verify',
    cron,
    run: async (_signal, scheduledAt) => {
      const mine = await onceAcrossSchedulers(warehouse, 'verify', scheduledAt, () => verify());
      if (!mine) logger.info('verify: another scheduler took this trigger');
    },
  };

  async function verify() {
    const summary = await verifyWarehouse(warehouse, await catalogNow(), {}, logger);
    const { counts } = summary;
    if (summary.status === 'completed') {
      logger.info(`verify: run ${summary.runId} completed: history intact`, {
        runId: summary.runId,
        counts,
      });
    } else {
      logger.error(
        `verify: run ${summary.runId} failed: history altered outside the engine: ${counts.tamperedRecords} record(s), ${counts.tamperedFiles} file(s)`,
        { runId: summary.runId, counts },
      );
      await alerts.alert(verifyFailedEvent({ runId: summary.runId, ...counts }));
    }
  }
}

/**
 * Art. 18's 3 working days checked every day on `cron` (CREDIT_ETL_OBJECTION_CHECK_CRON): a run of kind
 * `objection-check`, failed when any objection is overdue, naming each (overdue-objections.ts). The alert
 * channel, once there is one, is passed as checkOverdueObjections' `onOverdue` (ObjectionsOverdueHook).
 */
export function dailyObjectionCheck(
  warehouse: Warehouse,
  cron: string,
  logger: Logger,
  alerts: AlertSink,
): ScheduledJob {
  return {
    name: 'objection-check',
    cron,
    run: async (_signal, scheduledAt) => {
      const mine = await onceAcrossSchedulers(warehouse, 'objection-check', scheduledAt, async () => {
        const check = await checkOverdueObjections(warehouse, todayInShanghai(), logger);
        if (check.overdue.length > 0)
          await alerts.alert(
            objectionsOverdueEvent({
              runId: check.runId,
              asOf: check.asOf,
              lines: check.overdue.map(overdueLine),
            }),
          );
      });
      if (!mine) logger.info('objection check: another scheduler took this trigger');
    },
  };
}

/** 08:30 Beijing time: each provider and entry a pipeline feeds, against the entry's update cycle (Art. 7). */
export const UPDATE_CYCLE_CHECK_CRON = '30 8 * * *';

function dailyUpdateCycleCheck(
  pipelines: PipelineDefinition[],
  catalogNow: () => Promise<Catalog>,
  warehouse: Warehouse,
  logger: Logger,
  alerts: AlertSink,
): ScheduledJob {
  return {
    name: 'update-cycle-check',
    cron: UPDATE_CYCLE_CHECK_CRON,
    run: async () => {
      await checkUpdateCycles(pipelines, await catalogNow(), warehouse, alerts, logger);
    },
  };
}

/**
 * The catalog as its directory holds it now, for a long-running scheduler's checks. One that cannot be read (an
 * edit half made) leaves the check with the last catalog read, said in the log: the check still runs.
 */
function catalogReadAgain(directory: string, first: Catalog, logger: Logger): () => Promise<Catalog> {
  let last = first;
  return async () => {
    try {
      last = await loadCatalog(directory);
    } catch (error) {
      logger.warn(
        `catalog ${directory} could not be read again, the last one read is used: ${(error as Error).message}`,
      );
    }
    return last;
  };
}
