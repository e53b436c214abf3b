import { TRANSPORTS } from '../../connectors/registry.ts';
import { type Catalog, loadCatalog } from '../catalog/load-catalog.ts';
import type { Config } from '../config/config.ts';
import type { Logger } from '../log/logger.ts';
import type { TransportRegistry } from '../pipelines/load-pipelines.ts';
import type { PipelineDefinition } from '../pipelines/pipeline-definition.ts';
import type { PipelineRunOptions } from '../pipelines/run-pipeline.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { commandContext } from './command-context.ts';
import { pipelineNamed, stagingDir } from './pipeline-context.ts';
import { createProgressDisplay } from './progress-display.ts';
import { type ThresholdFlags, thresholdsFrom } from './threshold-options.ts';
import { withWarehouse } from './with-warehouse.ts';

/** What `run` and `backfill` work with: the pipeline, the open warehouse, and the options every run takes. */
export interface PipelineCommand {
  config: Config;
  logger: Logger;
  warehouse: Warehouse;
  catalog: Catalog;
  pipeline: PipelineDefinition;
  /** Thresholds (flags over the pipeline's), stop signal, staging directory and the progress display. */
  runOptions: PipelineRunOptions;
  /** A first SIGTERM/SIGINT was received: the current unit finished and no other started. */
  stopped(): boolean;
}

/** The two steps of a pipeline command: load (progress shown), then report (progress cleared first). */
export interface PipelineCommandSteps<Loaded> {
  load(command: PipelineCommand): Promise<Loaded>;
  /** Prints the result; returns the exit code. */
  report(command: PipelineCommand, loaded: Loaded): Promise<number> | number;
}

/**
 * Sets up a pipeline command: loads the pipeline (a bad one is a usage error) and the catalog, opens the
 * warehouse with a graceful stop, shows progress while loading, and clears it before the report is printed.
 */
export async function withPipelineCommand<Loaded>(
  name: string,
  flags: ThresholdFlags,
  steps: PipelineCommandSteps<Loaded>,
  transports: TransportRegistry = TRANSPORTS,
): Promise<number> {
  const { config, logger } = commandContext();
  const catalog = await loadCatalog(config.catalogDir);
  const pipeline = await pipelineNamed(name, transports, catalog);
  const stop = new AbortController();
  return withWarehouse(
    config,
    logger,
    async (warehouse) => {
      const progress = createProgressDisplay();
      const runOptions: PipelineRunOptions = {
        thresholds: thresholdsFrom(flags, pipeline.thresholds),
        transports,
        signal: stop.signal,
        stagingDir: stagingDir(),
        onUnitStart: (unit) => progress.onUnitStart(unit),
        onProgress: (unit, rows, phase) => progress.onProgress(unit, rows, phase),
      };
      const stopped = () => stop.signal.aborted;
      const command = { config, logger, warehouse, catalog, pipeline, runOptions, stopped };
      const loaded = await steps.load(command).finally(() => progress.stop());
      return steps.report(command, loaded);
    },
    stop,
  );
}
