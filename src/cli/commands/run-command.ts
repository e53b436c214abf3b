import type { Command } from 'commander';
import { TRANSPORTS } from '../../../connectors/registry.ts';
import { openAlerts } from '../../alerts/open-alerts.ts';
import { maskPersonalText } from '../../log/mask-personal-data.ts';
import { lockedMessage } from '../../pipelines/failed-attempts.ts';
import type { TransportRegistry } from '../../pipelines/load-pipelines.ts';
import { runPipeline } from '../../pipelines/run-pipeline.ts';
import { interruptedByStop } from '../../warehouse/interrupted-by-stop.ts';
import { enqueueRuns } from '../enqueue-runs.ts';
import { EXIT, noteFailedRun, noteFailure } from '../exit-codes.ts';
import { withPipelineCommand } from '../pipeline-command.ts';
import { loadedPipelineNameGiven, warehousePipelineNames } from '../pipeline-names-shown.ts';
import { printRun } from '../print-run.ts';
import { addThresholdOptions, exitCodeForRun, type ThresholdFlags } from '../threshold-options.ts';

export function registerRunCommand(program: Command): void {
  const command = program
    .command('run')
    .description('run one pipeline now: poll its transport, load what is new, move the files aside')
    .argument('<pipeline>', 'pipeline name, or its name as shown (credit-etl pipelines list)')
    .option('--json', 'print the run summary as JSON')
    .option('--enqueue', 'queue the run for a worker (credit-etl worker) instead of running it here');
  addThresholdOptions(command).action(async (given: string, options: RunFlags) => {
    // The name as a listing shows it (`…~1`) stands for the pipeline it names there.
    const { name, shown } = await loadedPipelineNameGiven(given);
    process.exitCode = options.enqueue
      ? await enqueueRuns(name, options, async () => [{ origin: 'manual' }])
      : await runPipelineNow(name, options, TRANSPORTS, shown);
  });
}

type RunFlags = ThresholdFlags & { json?: boolean; enqueue?: boolean };

/**
 * `credit-etl run`; returns the exit code. `transports` lets a test process add a transport of its own; `shown` is
 * the pipeline's name as printed (an ID in it masked).
 */
export function runPipelineNow(
  name: string,
  options: RunFlags,
  transports: TransportRegistry = TRANSPORTS,
  shown = maskPersonalText(name),
): Promise<number> {
  let source: string | undefined;
  return withPipelineCommand(
    name,
    options,
    {
      load: async ({ warehouse, catalog, pipeline, runOptions, logger }) => {
        // A run started by the system's cron alerts as a scheduled one does; no alerts file, nothing loaded.
        const alerts = await openAlerts(warehouse, logger, { quiet: true });
        try {
          return await runPipeline(
            warehouse,
            catalog,
            pipeline,
            {
              ...runOptions,
              alerts,
              // Its alert names the pipeline as `pipelines list` does (`…~1`).
              pipelineNames: warehousePipelineNames(warehouse),
              onPolled: (where) => {
                source = where;
              },
            },
            logger,
          ).catch((error: unknown) => {
            // A run was created but its end could not be stored (the database out of reach then): `--json` names
            // it, and says what is stored of it may be stale.
            const { runId, runStatusMayBeStale } = (error ?? {}) as {
              runId?: unknown;
              runStatusMayBeStale?: unknown;
            };
            // A signal's stop ends the run `interrupted` as the process exits: nothing of it is stale.
            if (typeof runId === 'number' && !interruptedByStop(warehouse)) {
              const stale = runStatusMayBeStale === true;
              noteFailedRun(runId, { statusMayBeStale: stale });
              if (stale)
                console.error(
                  `credit-etl: run ${runId} was started, but its end could not be stored: what \`runs show ${runId}\` says of it may be stale`,
                );
            }
            throw error;
          });
        } finally {
          await alerts.close();
        }
      },
      async report({ config, warehouse, catalog, stopped }, result) {
        if (result.status === 'locked') {
          // Nothing done, or, when the lock was taken after this run's session lost it, what its attempts loaded.
          const message = lockedMessage(shown, result.meanwhile);
          console.error(message);
          noteFailure(message, 'locked');
          const runs = result.meanwhile?.runs ?? [];
          if (runs.length > 0) noteFailedRun(runs[runs.length - 1]!.id);
          return EXIT.failed;
        }
        const { summary } = result;
        const reported = await printRun(warehouse, catalog, config.reportDir, summary, Boolean(options.json));
        // An empty run is often a wrong folder or day: say where the transport looked.
        if (summary.files.length === 0 && summary.status === 'completed' && source && !options.json)
          console.log(`nothing to load in ${source}`);
        // A report that could not be written fails the command (exit 1), though the run itself is committed.
        if (!reported) return EXIT.failed;
        // Stopped by SIGTERM/SIGINT after a whole unit: a clean stop, the rest loads next time.
        if (stopped() && summary.status === 'interrupted') return EXIT.ok;
        return exitCodeForRun(summary.status);
      },
    },
    transports,
  );
}
