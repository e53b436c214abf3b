import { type Command, Option } from 'commander';
import { maskPersonalText } from '../../log/mask-personal-data.ts';
import {
  daysBetween,
  planBackfill,
  REPROCESS_MODES,
  type ReprocessMode,
} from '../../pipelines/backfill-plan.ts';
import { type BackfillDay, runBackfill } from '../../pipelines/run-backfill.ts';
import { enqueueRuns } from '../enqueue-runs.ts';
import { EXIT, jsonResultPrinted, UsageError } from '../exit-codes.ts';
import { summaryJson } from '../format-summary.ts';
import { formatTable } from '../format-table.ts';
import { withPipelineCommand } from '../pipeline-command.ts';
import { loadedPipelineNameGiven } from '../pipeline-names-shown.ts';
import { writeRunRejections } from '../print-run.ts';
import { addThresholdOptions, exitCodeForRun, type ThresholdFlags } from '../threshold-options.ts';
import { dateOption } from './date-options.ts';

interface BackfillFlags extends ThresholdFlags {
  from: string;
  to: string;
  reprocess: ReprocessMode;
  dryRun?: boolean;
  enqueue?: boolean;
  json?: boolean;
}

/** A day's rejection report once its run ended: its path, or why it could not be written. */
interface DayReport {
  rejections?: string | undefined;
  reportError?: string;
}

/**
 * `backfill --json`: `{"dryRun", "days": [{"date", "lastStatus", "lastRunId", "action", "run"}]}`, `action` one of
 * `run`, `skip`, `locked`. `run` is what `run --json` prints of the day's run: its summary (with `rejectionReport`,
 * or `reportError`), or, when the run's end could not be stored, `{"runId", "runStatusMayBeStale": true, "error"}`.
 */
function backfillJson(days: BackfillDay[], reports: Map<BackfillDay, DayReport>, dryRun: boolean): object {
  return {
    dryRun,
    days: days.map((day) => {
      const report = reports.get(day);
      const run = day.summary
        ? {
            ...summaryJson(day.summary, { rejections: report?.rejections }),
            ...(report?.reportError ? { reportError: report.reportError } : {}),
          }
        : day.notRecorded
          ? {
              runId: day.notRecorded.runId,
              runStatusMayBeStale: true,
              error: maskPersonalText(day.notRecorded.error),
            }
          : undefined;
      return {
        date: day.date,
        lastStatus: day.lastStatus ?? null,
        lastRunId: day.lastRunId ?? null,
        action: day.locked ? 'locked' : day.action,
        ...(run ? { run } : {}),
      };
    }),
  };
}

export function registerBackfillCommand(program: Command): void {
  const command = program
    .command('backfill')
    .description('one run per partition day from --from to --to, in order')
    .argument('<pipeline>', 'pipeline name, or its name as shown (credit-etl pipelines list)')
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
    .option('--json', 'print the days and their runs as JSON')
    .option(
      '--enqueue',
      'queue one job per day to run for workers (credit-etl worker) instead of running here',
    );
  addThresholdOptions(command).action(async (given: string, options: BackfillFlags) => {
    dateOption('--from', options.from);
    dateOption('--to', options.to);
    if (options.from > options.to) throw new UsageError(`--from ${options.from} is after --to ${options.to}`);
    const { name } = await loadedPipelineNameGiven(given);
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
        // As `run` does: each day's run that rejected rows leaves its rejection report for the provider. One that
        // cannot be written (the report directory unwritable, the database out of reach) is said: exit 1.
        const reports = new Map<BackfillDay, DayReport>();
        for (const day of days) {
          if (!day.summary) continue;
          try {
            reports.set(day, {
              rejections: await writeRunRejections(warehouse, catalog, config.reportDir, day.summary),
            });
          } catch (error) {
            const reportError = maskPersonalText(error instanceof Error ? error.message : String(error));
            reports.set(day, { reportError });
            console.error(
              `credit-etl: failed: run ${day.summary.runId} (${day.date}) ended ${day.summary.status}, but its report could not be written: ${reportError}`,
            );
          }
        }
        // A day whose run's end could not be stored is named as `run` names it; the backfill stopped there.
        for (const day of days)
          if (day.notRecorded)
            console.error(
              `credit-etl: run ${day.notRecorded.runId} (${day.date}) was started, but its end could not be stored: what \`runs show ${day.notRecorded.runId}\` says of it may be stale`,
            );
        if (options.json) {
          console.log(JSON.stringify(backfillJson(days, reports, Boolean(options.dryRun))));
          jsonResultPrinted();
        } else {
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
                day.summary?.runId ?? day.notRecorded?.runId ?? '',
                day.summary?.status ?? (day.notRecorded ? 'end not stored' : ''),
                day.summary?.files.length ?? '',
                day.summary?.counts.read ?? '',
                day.summary?.counts.rejected ?? '',
              ]),
            ),
          );
          for (const day of days) {
            const report = reports.get(day)?.rejections;
            if (report && day.summary)
              console.log(`rejection report ${day.date} (run ${day.summary.runId}): ${report}`);
          }
        }
        if (days.some((day) => day.locked || day.notRecorded)) return EXIT.failed;
        if ([...reports.values()].some((report) => report.reportError !== undefined)) return EXIT.failed;
        // The worst day decides: a failed day outranks a threshold stop.
        const codes = days.flatMap((day) => (day.summary ? [exitCodeForRun(day.summary.status)] : []));
        if (codes.includes(EXIT.failed)) return EXIT.failed;
        if (codes.includes(EXIT.threshold)) return EXIT.threshold;
        return EXIT.ok;
      },
    });
  });
}
