import type { Command } from 'commander';
import { shanghaiTime } from '../../../connectors/shanghai-time.ts';
import { loadCatalog } from '../../catalog/load-catalog.ts';
import { maskPersonalText } from '../../log/mask-personal-data.ts';
import { missingFromRun } from '../../report/missing-from-dump.ts';
import { loadProviders, providerLabel, providersFile } from '../../report/providers.ts';
import { warehouseUrl } from '../../warehouse/connect-warehouse.ts';
import { COUNT_COLUMNS, type OutcomeCounts } from '../../warehouse/outcome-counts.ts';
import { findJob, withQueueClient } from '../../warehouse/queue-jobs-repository.ts';
import {
  findRun,
  listRuns,
  pipelinesOfRuns,
  RUN_STATUSES,
  type RunStatus,
} from '../../warehouse/runs-repository.ts';
import { sourceFilesOfRun } from '../../warehouse/source-files-repository.ts';
import { commandContext } from '../command-context.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { fullDumpLine } from '../format-summary.ts';
import { formatTable, maskedJson, maskedTable } from '../format-table.ts';
import { loadedPipelineNameGiven, loadedPipelineNamesShown } from '../pipeline-names-shown.ts';
import { withReadingWarehouse } from '../with-warehouse.ts';
import { instantOption } from './date-options.ts';
import { idOption, shownId } from './report-options.ts';

const countCells = (counts: Partial<OutcomeCounts>) => COUNT_COLUMNS.map((column) => counts[column] ?? 0);
const secondsBetween = (started: Date, finished: Date) =>
  ((finished.getTime() - started.getTime()) / 1000).toFixed(1);

export function registerRunsCommand(program: Command): void {
  const runs = program.command('runs').description('run history');
  runs
    .command('list')
    .description('recent runs, newest first')
    .option('--limit <n>', 'how many', '20')
    .option(
      '--status <status>',
      `only runs with this status: ${RUN_STATUSES.join(', ')} (failed includes failed-threshold)`,
    )
    .option('--pipeline <name>', 'only runs of this pipeline (its name, or its name as shown)')
    .option('--since <date>', 'only runs started on or after this date/time (Asia/Shanghai)')
    .option('--json', 'print JSON')
    .action(async (options: RunsListOptions) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new UsageError(`--limit ${options.limit} is not a positive integer`);
      const since = options.since === undefined ? undefined : instantOption('--since', options.since);
      const statuses = options.status === undefined ? undefined : statusesOf(options.status);
      const { config, logger } = commandContext();
      await withReadingWarehouse(config, logger, async (warehouse) => {
        // Names told apart over the pipeline files and every pipeline that has a run (a removed one's too), so that
        // the name a listing shows (`…~1`) is the one `--pipeline` takes back, whichever runs the listing holds.
        const ofRuns = await pipelinesOfRuns(warehouse);
        const pipeline =
          options.pipeline === undefined
            ? undefined
            : (await loadedPipelineNameGiven(options.pipeline, async () => ofRuns)).name;
        const found = await listRuns(warehouse, { limit, statuses, pipeline, since });
        // Each pipeline named as the console names it: two whose names mask alike told apart (`…~1`, `…~2`).
        const shownOf = await loadedPipelineNamesShown(ofRuns);
        const rows = found.map((run) => ({ ...run, pipeline: run.pipeline && shownOf(run.pipeline) }));
        // A pipeline's name (a file's, a drop folder's) may hold an ID number: masked string by string, cell by cell,
        // never the laid-out table (its counts, aligned by spaces, read to the masker as the spaced groups of an ID).
        if (options.json) {
          console.log(maskedJson(rows));
          return;
        }
        console.log(
          maskedTable(
            ['run', 'kind', 'partition', 'status', 'started', 'seconds', ...COUNT_COLUMNS],
            rows.map((run) => [
              run.id,
              run.pipeline ?? run.kind,
              run.partition_date ?? '',
              run.status,
              shanghaiTime(run.started_at),
              run.finished_at ? secondsBetween(run.started_at, run.finished_at) : '',
              ...countCells(run.counts),
            ]),
          ),
        );
      });
    });
  runs
    .command('show')
    .description('one run: status, totals, each file with its counts and errors')
    .argument('<id>', 'run id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const runId = idOption('run id', id);
      const { config, logger } = commandContext();
      process.exitCode = await withReadingWarehouse(config, logger, async (warehouse) => {
        const found = await findRun(warehouse, runId);
        if (!found) {
          console.error(`run ${shownId(id)} not found: see \`credit-etl runs list\``);
          return EXIT.usage;
        }
        // Its pipeline named as `runs list` and the console name it (one masking alike another's told apart).
        const run = found.pipeline
          ? {
              ...found,
              pipeline: (await loadedPipelineNamesShown(await pipelinesOfRuns(warehouse)))(found.pipeline),
            }
          : found;
        const files = await sourceFilesOfRun(warehouse, runId);
        const registry = await loadProviders(providersFile());
        const missing = files.some((file) => (file.full_dump?.missing ?? 0) > 0)
          ? await missingFromRun(warehouse, await loadCatalog(config.catalogDir), runId)
          : [];
        // File names, stored errors and the run's lines may quote a row (a headerless file's first line): IDs in them
        // are masked, each where it is printed. Never a whole line with the table in it: its counts, aligned by spaces,
        // read to the masker as the spaced groups of an ID (`20  0  0  0  1  6  0  13`), and it masked them.
        const shown = maskPersonalText;
        const print = (line: string) => console.log(line);
        // A worker's run names its job; the job's state says whether the queue will try it again.
        const jobState = run.job_id
          ? await withQueueClient(warehouseUrl(warehouse), (client) => findJob(client, run.job_id!))
              .then((job) => job?.state ?? 'gone')
              .catch(() => 'unknown')
          : undefined;
        if (options.json) {
          // Value by value: masked whole, the run's job UUID read as a spaced ID (format-table.ts maskedJson).
          print(maskedJson({ ...run, jobState: jobState ?? null, files, missingFromFullDump: missing }));
          return EXIT.ok;
        }
        print(`run ${run.id} (${shown(run.pipeline ?? run.kind)}) ${run.status}`);
        const seconds = run.finished_at ? `, ${secondsBetween(run.started_at, run.finished_at)} s` : '';
        print(
          `started ${shanghaiTime(run.started_at)}, finished ${run.finished_at ? shanghaiTime(run.finished_at) : '-'}${seconds}`,
        );
        const about = [
          run.partition_date ? `partition ${run.partition_date}` : '',
          `${run.attempts} attempt${run.attempts === 1 ? '' : 's'}`,
          run.thresholds
            ? `thresholds: max reject rate ${run.thresholds.maxRejectRate}, max rejected ${run.thresholds.maxRejected ?? 'none'}`
            : '',
        ].filter(Boolean);
        if (about.length > 0) print(about.join(' · '));
        if (run.job_id) print(`job ${run.job_id}: ${jobState} (credit-etl jobs show ${run.job_id})`);
        // A run's own lines (a transport's failure, a file left unmoved) and the source's warnings (`⚠ …`).
        const runLines = runLevelLines(run.error, files).map((line) =>
          line.startsWith('⚠') ? line : `✗ ${line}`,
        );
        if (files.length === 0) for (const line of runLines) print(shown(line));
        print(
          formatTable(
            // `file id` is what `report rejections --file` takes.
            [
              'file id',
              'file',
              'encoding',
              'catalog',
              'provider',
              'level',
              'status',
              'seconds',
              ...COUNT_COLUMNS,
            ],
            files.map((file) => [
              file.id,
              shown(file.name),
              file.encoding ?? '-',
              `${file.catalog_code}${file.catalog_version ? ` v${file.catalog_version}` : ''}`,
              shown(providerLabel(registry, file.provider_code)),
              file.level,
              file.status,
              secondsBetween(file.started_at, file.finished_at),
              ...countCells(file.counts),
            ]),
          ),
        );
        for (const file of files.filter((candidate) => candidate.threshold)) {
          const t = file.threshold!;
          print(
            `threshold ${shown(file.name)}: ${t.rejected}/${t.read} rejected (${(t.rejectRate * 100).toFixed(1)}%) ` +
              `vs max ${(t.maxRejectRate * 100).toFixed(1)}%${t.maxRejected === null ? '' : ` / ${t.maxRejected} rows`}` +
              ` → ${t.exceeded ? 'exceeded: no row applied' : 'within: applied'}`,
          );
        }
        for (const file of files.filter((candidate) => candidate.full_dump)) {
          print(`full dump ${shown(file.name)}: ${fullDumpLine(file.full_dump!)}`);
        }
        if (missing.length > 0) {
          print(`missing from the full dump (${missing.length}; listed, never deleted):`);
          print(
            formatTable(
              ['file', 'record', 'key', 'subject'],
              missing.map((record) => [
                shown(record.file),
                record.recordId,
                shown(record.key),
                shown(record.subjectCode ?? ''),
              ]),
            ),
          );
        }
        for (const file of files.filter((candidate) => candidate.error)) {
          print(`✗ ${shown(file.name)} [${file.error_code}]: ${shown(file.error ?? '')}`);
        }
        if (files.length > 0) for (const line of runLines) print(shown(line));
        const codes = Object.entries(run.errors_by_code);
        if (codes.length > 0)
          print(`rejections by error code: ${codes.map(([c, n]) => `${c} ${n}`).join(', ')}`);
        return EXIT.ok;
      });
    });
}

/** The lines of a run's error that its files' lines do not already say (a file's failure is printed with the file). */
function runLevelLines(
  error: string | null,
  files: readonly { name: string; error: string | null }[],
): string[] {
  if (!error) return [];
  const failures = files.filter((file) => file.error).map((file) => `${file.name}: ${file.error}`);
  return error
    .split('\n')
    .filter((line) => line !== '' && !failures.some((failure) => line.startsWith(failure)));
}

/**
 * The statuses `--status` selects. A run over its reject threshold failed too: `failed` lists it with the others
 * (`failed-threshold` alone narrows to it). A mistyped status is refused rather than listing nothing.
 */
function statusesOf(status: string): RunStatus[] {
  if (status === 'failed') return ['failed', 'failed-threshold'];
  const known = RUN_STATUSES.find((candidate) => candidate === status);
  if (!known)
    throw new UsageError(`--status ${status} is not a run status: use one of ${RUN_STATUSES.join(', ')}`);
  return [known];
}

interface RunsListOptions {
  limit: string;
  status?: string;
  pipeline?: string;
  since?: string;
  json?: boolean;
}
