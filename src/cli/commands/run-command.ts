import type { Command } from 'commander';
import { TRANSPORTS } from '../../../connectors/registry.ts';
import { loadCatalog } from '../../catalog/load-catalog.ts';
import type { TransportRegistry } from '../../pipelines/load-pipelines.ts';
import { runPipeline } from '../../pipelines/run-pipeline.ts';
import { commandContext } from '../command-context.ts';
import { EXIT } from '../exit-codes.ts';
import { pipelineNamed, stagingDir } from '../pipeline-context.ts';
import { printRun } from '../print-run.ts';
import { createProgressDisplay } from '../progress-display.ts';
import {
  addThresholdOptions,
  exitCodeForRun,
  type ThresholdFlags,
  thresholdsFrom,
} from '../threshold-options.ts';
import { withWarehouse } from '../with-warehouse.ts';

export function registerRunCommand(program: Command): void {
  const command = program
    .command('run')
    .description('run one pipeline now: poll its transport, load what is new, move the files aside')
    .argument('<pipeline>', 'pipeline name (credit-etl pipelines list)')
    .option('--json', 'print the run summary as JSON');
  addThresholdOptions(command).action(async (name: string, options: RunFlags) => {
    process.exitCode = await runPipelineNow(name, options);
  });
}

type RunFlags = ThresholdFlags & { json?: boolean };

/** `credit-etl run`; returns the exit code. `transports` lets a test process add a transport of its own. */
export async function runPipelineNow(
  name: string,
  options: RunFlags,
  transports: TransportRegistry = TRANSPORTS,
): Promise<number> {
  const { config, logger } = commandContext();
  const pipeline = await pipelineNamed(name, transports);
  const thresholds = thresholdsFrom(options, pipeline.thresholds);
  const catalog = await loadCatalog(config.catalogDir);
  const stop = new AbortController();
  return withWarehouse(
    config,
    logger,
    async (warehouse) => {
      const progress = createProgressDisplay();
      const result = await runPipeline(
        warehouse,
        catalog,
        pipeline,
        {
          thresholds,
          transports,
          signal: stop.signal,
          stagingDir: stagingDir(),
          onUnitStart: (unit) => progress.onUnitStart(unit),
          onProgress: (unit, rows) => progress.onProgress(unit, rows),
        },
        logger,
      ).finally(() => progress.stop());
      if (result.status === 'locked') {
        console.error(`pipeline ${name} is running in another process: nothing done`);
        return EXIT.failed;
      }
      const { summary } = result;
      await printRun(warehouse, catalog, config.reportDir, summary, Boolean(options.json));
      // Stopped by SIGTERM/SIGINT after a whole unit: a clean stop, the rest loads next time.
      if (stop.signal.aborted && summary.status === 'interrupted') return EXIT.ok;
      return exitCodeForRun(summary.status);
    },
    stop,
  );
}
