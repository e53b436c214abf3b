import { type Command, Option } from 'commander';
import { loadCatalog } from '../../catalog/load-catalog.ts';
import { isRealIsoDate } from '../../normalize/parse-date.ts';
import { REPROCESS_MODES, type ReprocessMode } from '../../pipelines/backfill-plan.ts';
import { runBackfill } from '../../pipelines/run-backfill.ts';
import { commandContext } from '../command-context.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { formatTable } from '../format-table.ts';
import { pipelineNamed, stagingDir } from '../pipeline-context.ts';
import { createProgressDisplay } from '../progress-display.ts';
import {
  addThresholdOptions,
  exitCodeForRun,
  type ThresholdFlags,
  thresholdsFrom,
} from '../threshold-options.ts';
import { withWarehouse } from '../with-warehouse.ts';

interface BackfillFlags extends ThresholdFlags {
  from: string;
  to: string;
  reprocess: ReprocessMode;
  dryRun?: boolean;
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
    .option('--dry-run', 'list what would run, change nothing');
  addThresholdOptions(command).action(async (name: string, options: BackfillFlags) => {
    for (const [flag, value] of [
      ['--from', options.from],
      ['--to', options.to],
    ] as const) {
      if (!isRealIsoDate(value))
        throw new UsageError(`${flag} ${value} is not a date: use YYYY-MM-DD, e.g. 2026-10-01`);
    }
    if (options.from > options.to) throw new UsageError(`--from ${options.from} is after --to ${options.to}`);
    const { config, logger } = commandContext();
    const pipeline = await pipelineNamed(name);
    const thresholds = thresholdsFrom(options, pipeline.thresholds);
    const catalog = await loadCatalog(config.catalogDir);
    const stop = new AbortController();
    process.exitCode = await withWarehouse(
      config,
      logger,
      async (warehouse) => {
        const progress = createProgressDisplay();
        const days = await runBackfill(
          warehouse,
          catalog,
          pipeline,
          {
            from: options.from,
            to: options.to,
            reprocess: options.reprocess,
            dryRun: Boolean(options.dryRun),
            thresholds,
            signal: stop.signal,
            stagingDir: stagingDir(),
            onUnitStart: (unit) => progress.onUnitStart(unit),
            onProgress: (unit, rows) => progress.onProgress(unit, rows),
          },
          logger,
        ).finally(() => progress.stop());
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
        if (days.some((day) => day.locked)) return EXIT.failed;
        // The worst day decides: a failed day outranks a threshold stop.
        const codes = days.flatMap((day) => (day.summary ? [exitCodeForRun(day.summary.status)] : []));
        if (codes.includes(EXIT.failed)) return EXIT.failed;
        if (codes.includes(EXIT.threshold)) return EXIT.threshold;
        return EXIT.ok;
      },
      stop,
    );
  });
}
