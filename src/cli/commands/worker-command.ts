import type { Command } from 'commander';
import { openAlerts } from '../../alerts/open-alerts.ts';
import { loadCatalog } from '../../catalog/load-catalog.ts';
import { metricsListenFrom } from '../../metrics/metrics-listen.ts';
import { formatProblem } from '../../pipelines/load-pipelines.ts';
import { openQueue } from '../../queue/open-queue.ts';
import { warehouseUrl } from '../../warehouse/connect-warehouse.ts';
import { commandContext } from '../command-context.ts';
import { EXIT } from '../exit-codes.ts';
import { allPipelines } from '../pipeline-context.ts';
import { withWarehouse } from '../with-warehouse.ts';
import { workerConcurrency, workJobs } from '../work-jobs.ts';

interface WorkerFlags {
  concurrency?: string;
  queues?: string;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'long-running: run queued jobs (pipeline runs) until SIGTERM/SIGINT; start any number, on any machines',
    )
    .option('--concurrency <n>', 'jobs at once (default CREDIT_ETL_WORKER_CONCURRENCY, else 1)')
    .option(
      '--queues <names>',
      'comma-separated queues to work (default pipelines, chunks and every pipeline queue)',
    )
    .action(async (flags: WorkerFlags) => {
      const { config, logger } = commandContext();
      const concurrency = workerConcurrency(flags.concurrency);
      const { pipelines, problems } = await allPipelines();
      // A job of a broken pipeline completes unrun, alerted run-failed (pipeline-run-job.ts); the others still run.
      for (const problem of problems) logger.warn(`pipeline not loaded: ${formatProblem(problem)}`);
      const catalog = await loadCatalog(config.catalogDir);
      const listen = metricsListenFrom();
      const stop = new AbortController();
      process.exitCode = await withWarehouse(
        config,
        logger,
        async (warehouse) => {
          const queue = await openQueue(warehouseUrl(warehouse), { logger });
          const alerts = await openAlerts(warehouse, logger);
          const metrics = listen
            ? await (await import('../../metrics/metrics-server.ts')).startMetricsServer(
                listen,
                { warehouse, component: 'worker' },
                logger,
              )
            : undefined;
          try {
            await workJobs({
              queue,
              warehouse,
              catalog,
              logger,
              pipelines,
              concurrency,
              queuesFlag: flags.queues,
              signal: stop.signal,
              alerts,
            });
          } finally {
            await metrics?.close();
            await alerts.close();
            await queue.stop();
          }
          // Stopped by a signal after the running jobs let go: a clean stop (their jobs are retried).
          return EXIT.ok;
        },
        stop,
        'engine',
        // The embedded server killed under it never comes back: exit 1 to be started again, not retry forever.
        { exitWhenServerGone: true },
      );
    });
}
