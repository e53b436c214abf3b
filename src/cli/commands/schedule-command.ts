import type { Command } from 'commander';
import { loadCatalog } from '../../catalog/load-catalog.ts';
import { formatProblem } from '../../pipelines/load-pipelines.ts';
import { runPipeline } from '../../pipelines/run-pipeline.ts';
import { startScheduler } from '../../schedule/scheduler.ts';
import { commandContext } from '../command-context.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { allPipelines, stagingDir } from '../pipeline-context.ts';
import { withWarehouse } from '../with-warehouse.ts';

export function registerScheduleCommand(program: Command): void {
  program
    .command('schedule')
    .description('long-running: run each pipeline on its cron schedule (Asia/Shanghai) until SIGTERM/SIGINT')
    .action(async () => {
      const { config, logger } = commandContext();
      const { pipelines, problems } = await allPipelines();
      // A scheduler that silently drops a broken feed would be found out weeks later: refuse to start.
      if (problems.length > 0) throw new UsageError(problems.map(formatProblem).join('\n'));
      const scheduled = pipelines.filter((pipeline) => pipeline.schedule.cron && pipeline.schedule.enabled);
      if (scheduled.length === 0)
        throw new UsageError('no pipeline has a schedule: add "schedule": {"cron": …}');
      const catalog = await loadCatalog(config.catalogDir);
      const stop = new AbortController();
      process.exitCode = await withWarehouse(
        config,
        logger,
        async (warehouse) => {
          const scheduler = startScheduler({
            pipelines: scheduled,
            logger,
            runPipeline: async (pipeline, signal, scheduledAt) => {
              const result = await runPipeline(
                warehouse,
                catalog,
                pipeline,
                { signal, stagingDir: stagingDir(), triggeredAt: scheduledAt },
                logger,
              );
              if (result.status === 'ran') {
                logger.info(
                  `pipeline ${pipeline.name}: run ${result.summary.runId} ${result.summary.status}`,
                  {
                    runId: result.summary.runId,
                    counts: result.summary.counts,
                  },
                );
              }
            },
          });
          logger.info(`scheduler started: ${scheduled.length} pipeline(s); SIGTERM or SIGINT stops it`);
          await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
          await scheduler.stop();
          logger.info('scheduler stopped');
          return EXIT.ok;
        },
        stop,
      );
    });
}
