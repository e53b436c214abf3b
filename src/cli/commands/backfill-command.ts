import { type Command, Option } from 'commander';
import {
  daysBetween,
  planBackfill,
  REPROCESS_MODES,
  type ReprocessMode,
} from '../../pipelines/backfill-plan.ts';
import { runBackfill } from '../../pipelines/run-backfill.ts';
import { enqueueRuns } from '../enqueue-runs.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { formatTable } from '../format-table.ts';
import { withPipelineCommand } from '../pipeline-command.ts';
import { writeRunRejections } from '../print-run.ts';
import { addThresholdOptions, exitCodeForRun, type ThresholdFlags } from '../threshold-options.ts';
import { dateOption } from './date-options.ts';

interface BackfillFlags extends ThresholdFlags {
  from: string;
  to: string;
  reprocess: ReprocessMode;
  dryRun?: boolean;
  enqueue?: boolean;
}

export function registerBackfillCommand(program: Command): void {
  const command = program
    .command('backfill')
    .description('one run per partition day from --from to --to, in order')
    .argument('<pipeline>', 'pipeline name (credit-etl pipelines list)')
    .requiredOption('--from <date>', 'first partition day, YYYY-MM-DD')
    .requiredOption('--to <date>', 'last partition day, YYYY-MM-DD')
    .addOption(
      new Option(
        '--reprocess <mode>',
        'none: only days not yet run; failed: also redo failed days; all: redo every day',
      )
        .choices(REPROCESS_MODES)
        .default('none'),
    )
    .option('--dry-run', 'list what would run, change nothing')
    .option(
      '--enqueue',
      'queue one job per day to run for workers (credit-etl worker) instead of running here',
    );
  addThresholdOptions(command).action(async (name: string, options: BackfillFlags) => {
    dateOption('--from', options.from);
    dateOption('--to', options.to);
    if (options.from > options.to) throw new UsageError(`--from ${options.from} is after --to ${options.to}`);
    if (options.enqueue && !options.dryRun) {
      // The days the plan would run, each a job of its own (lower priority than nightly runs).
      process.exitCode = await enqueueRuns(name, options, async (warehouse, pipeline) => {
        const plan = await planBackfill(
          warehouse,
          pipeline.name,
          daysBetween(options.from, options.to),
          options.reprocess,
        );
        return plan
          .filter((day) => day.action === 'run')
          .map((day) => ({ origin: 'backfill' as const, partition: day.date }));
      });
      return;
    }
    process.exitCode = await withPipelineCommand(name, options, {
      load: ({ warehouse, catalog, pipeline, runOptions, logger }) =>
        runBackfill(
          warehouse,
          catalog,
          pipeline,
          {
            ...runOptions,
            from: options.from,
            to: options.to,
            reprocess: options.reprocess,
            dryRun: Boolean(options.dryRun),
          },
          logger,
        ),
      async report({ warehouse, catalog, config }, days) {
        console.log(
          formatTable(
            [
              'day',
              'last status',
              options.dryRun ? 'would' : 'did',
              'run',
              'status',
              'files',
              'read',
              'rejected',
            ],
            days.map((day) => [
              day.date,
              day.lastStatus ?? '-',
              day.locked ? 'locked' : day.action,
              day.summary?.runId ?? '',
              day.summary?.status ?? '',
              day.summary?.files.length ?? '',
              day.summary?.counts.read ?? '',
              day.summary?.counts.rejected ?? '',
            ]),
          ),
        );
        // As `run` does: each day's run that rejected rows leaves its rejection report for the provider.
        for (const day of days) {
          if (!day.summary) continue;
          const report = await writeRunRejections(warehouse, catalog, config.reportDir, day.summary);
          if (report) console.log(`rejection report ${day.date} (run ${day.summary.runId}): ${report}`);
        }
        if (days.some((day) => day.locked)) return EXIT.failed;
        // The worst day decides: a failed day outranks a threshold stop.
        const codes = days.flatMap((day) => (day.summary ? [exitCodeForRun(day.summary.status)] : []));
        if (codes.includes(EXIT.failed)) return EXIT.failed;
        if (codes.includes(EXIT.threshold)) return EXIT.threshold;
        return EXIT.ok;
      },
    });
  });
}
