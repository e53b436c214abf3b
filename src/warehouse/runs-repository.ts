import os from 'node:os';
import { type RetryPolicy, retryWithBackoff } from '../../connectors/transports/retry-with-backoff.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import type { Warehouse } from './connect-warehouse.ts';
import type { IntegrityCounts } from './integrity-repository.ts';
import type { ObjectionCheckCounts } from './objections-repository.ts';
import { addCounts, emptyCounts, type OutcomeCounts } from './outcome-counts.ts';
import { whileServerLives } from './server-gone.ts';
import { sourceFileCountsOfRun } from './source-files-repository.ts';
import type { Thresholds } from './threshold-decision.ts';

/** The columns of a run in a list (`runs list`, the console's runs). */
export const RUN_LIST_COLUMNS = [
  'id',
  'kind',
  'pipeline',
  'status',
  'started_at',
  'finished_at',
  'counts',
  'partition_date',
] as const;

export const RUN_KINDS = ['ingest', 'pipeline', 'backfill', 'demo', 'verify', 'objection-check'] as const;
export type RunKind = (typeof RUN_KINDS)[number];
export const RUN_STATUSES = ['running', 'completed', 'failed', 'failed-threshold', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A row of `runs` as stored (snake_case columns; `runs show --json` prints it as is). */
export interface RunRow {
  id: number;
  kind: RunKind;
  pipeline: string | null;
  status: RunStatus;
  started_at: Date;
  finished_at: Date | null;
  counts: Partial<OutcomeCounts>;
  errors_by_code: Record<string, number>;
  error: string | null;
  options: Record<string, unknown>;
  host: string | null;
  pid: number | null;
  partition_date: string | null;
  thresholds: Thresholds | null;
  attempts: number;
  /** The queued job that ran it (a worker's run); null for a run made inline. */
  job_id: string | null;
}

/** The columns `runs list` shows, in its JSON's order. */
export type RunListRow = Pick<
  RunRow,
  'id' | 'kind' | 'pipeline' | 'status' | 'started_at' | 'finished_at' | 'counts' | 'partition_date'
>;

export async function startRun(
  warehouse: Warehouse,
  kind: RunKind,
  options: Record<string, unknown>,
  pipeline?: string,
  extra: {
    partitionDate?: string | undefined;
    thresholds?: Thresholds | undefined;
    jobId?: string | undefined;
  } = {},
): Promise<number> {
  const [row] = await warehouse('runs')
    .insert({
      kind,
      pipeline: pipeline ?? null,
      partition_date: extra.partitionDate ?? null,
      ...(extra.jobId ? { job_id: extra.jobId } : {}),
      thresholds: extra.thresholds ? JSON.stringify(extra.thresholds) : null,
      options: JSON.stringify(options),
      host: os.hostname(),
      pid: process.pid,
    })
    .returning<{ id: number }[]>('id');
  return row!.id;
}

/** How a run ends: its status, totals and reason. */
export interface RunResult {
  status: RunStatus;
  /** A load's outcomes, or what a verify run checked and found. */
  counts: OutcomeCounts | IntegrityCounts | ObjectionCheckCounts;
  errorsByCode: Record<string, number>;
  error?: string;
}

export async function finishRun(warehouse: Warehouse, runId: number, result: RunResult): Promise<void> {
  await warehouse('runs').where({ id: runId }).update(finishedColumns(warehouse, result));
}

function finishedColumns(warehouse: Warehouse, result: RunResult) {
  return {
    status: result.status,
    counts: JSON.stringify(result.counts),
    errors_by_code: JSON.stringify(result.errorsByCode),
    // Errors quote rows and file names; the stored text is what `runs show` and the logs may print.
    error: result.error === undefined ? null : maskPersonalText(result.error),
    finished_at: warehouse.fn.now(),
  };
}

/**
 * How long ending a run waits out a database that is failing: about half a minute to a minute in growing pauses,
 * time for a server to restart. A run left `running` is only swept to `interrupted`, without its reason.
 */
export const RUN_ENDING_RETRY: RetryPolicy = { attempts: 7, baseDelayMs: 1_000, maxDelayMs: 15_000 };

/**
 * Finishes a run if it is still `running`; false when it had ended already. An infrastructure fault (the server
 * restarting, a dead pooled connection) is tried again with backoff, but not once the command's embedded server is
 * gone (server-gone.ts: EmbeddedServerGone at once, the command stores the run on the server opened again). Only a
 * `running` run is touched, so a retry after an update whose answer was lost never finishes the run twice (a
 * finished run stays, migration 035).
 */
export async function finishRunIfRunning(
  warehouse: Warehouse,
  runId: number,
  result: RunResult,
  retry: RetryPolicy = RUN_ENDING_RETRY,
): Promise<boolean> {
  const updated = await retryWithBackoff(
    retry,
    whileServerLives(warehouse, () =>
      warehouse('runs').where({ id: runId, status: 'running' }).update(finishedColumns(warehouse, result)),
    ),
  );
  return updated > 0;
}

/**
 * A run a fault ended while it was `running`: `failed` with the reason and the totals of the files it did load
 * (each committed whole, in source_files); false when it had ended already. Retried as finishRunIfRunning.
 */
export async function failRunningRun(
  warehouse: Warehouse,
  runId: number,
  reason: string,
  retry: RetryPolicy = RUN_ENDING_RETRY,
): Promise<boolean> {
  const files = await retryWithBackoff(
    retry,
    whileServerLives(warehouse, () => sourceFileCountsOfRun(warehouse, runId)),
  );
  const counts = files.reduce((total, fileCounts) => addCounts(total, fileCounts), emptyCounts());
  return finishRunIfRunning(
    warehouse,
    runId,
    { status: 'failed', counts, errorsByCode: {}, error: reason },
    retry,
  );
}

/** This process's runs still `running` end `failed` with the reason and what they loaded; returns how many. */
export async function failRunsOfThisProcess(warehouse: Warehouse, reason: string): Promise<number> {
  const running = await retryWithBackoff(RUN_ENDING_RETRY, () =>
    warehouse('runs')
      .where({ status: 'running', host: os.hostname(), pid: process.pid })
      .orderBy('id')
      .pluck<number[]>('id'),
  );
  let ended = 0;
  for (const runId of running) if (await failRunningRun(warehouse, runId, reason)) ended++;
  return ended;
}

/**
 * This process's runs of a pipeline since run `afterRunId` that are still `running`, oldest first. Retried as
 * ending a run is, but not once the command's embedded server is gone (EmbeddedServerGone, server-gone.ts).
 */
export async function runningRunsOfThisProcess(
  warehouse: Warehouse,
  pipeline: string,
  afterRunId: number,
): Promise<number[]> {
  return retryWithBackoff(
    RUN_ENDING_RETRY,
    whileServerLives(warehouse, () =>
      warehouse('runs')
        .where({ pipeline, status: 'running', host: os.hostname(), pid: process.pid })
        .where('id', '>', afterRunId)
        .orderBy('id')
        .pluck<number[]>('id'),
    ),
  );
}

/** A pipeline's runs still `running`, on any machine, oldest first (what may be holding the pipeline up). */
export async function runningRunsOf(
  warehouse: Warehouse,
  pipeline: string,
): Promise<Pick<RunRow, 'id' | 'partition_date' | 'started_at' | 'host' | 'pid'>[]> {
  return warehouse('runs')
    .where({ pipeline, status: 'running' })
    .orderBy('id')
    .select('id', 'partition_date', 'started_at', 'host', 'pid');
}

/** How many attempts of a pipeline the run took (1 unless the runner retried it). */
export async function setRunAttempts(warehouse: Warehouse, runId: number, attempts: number): Promise<void> {
  await warehouse('runs').where({ id: runId }).update({ attempts });
}

/** Runs still `running` on this machine, with the process that started each. */
export async function runningRunsOnThisHost(
  warehouse: Warehouse,
): Promise<{ id: number; pid: number | null }[]> {
  return warehouse('runs')
    .where({ status: 'running', host: os.hostname() })
    .select<{ id: number; pid: number | null }[]>('id', 'pid');
}

/**
 * The runs of a job whose worker died (another worker's sweep found its liveness lock gone), still `running`,
 * end `interrupted` with the reason; returns how many. Any machine may close them: the job says whose they were.
 */
export async function interruptRunsOfJob(
  warehouse: Warehouse,
  jobId: string,
  reason: string,
): Promise<number> {
  return warehouse('runs')
    .where({ job_id: jobId, status: 'running' })
    .update({ status: 'interrupted', finished_at: warehouse.fn.now(), error: maskPersonalText(reason) });
}

/**
 * Ends these runs as `interrupted`; returns how many were still running. One another process ended meanwhile (a
 * worker's sweep interrupts a dead worker's runs too) is left as it ended: an ended run stays so (migration 035).
 */
export async function interruptRuns(warehouse: Warehouse, runIds: number[], reason: string): Promise<number> {
  return warehouse('runs')
    .whereIn('id', runIds)
    .where({ status: 'running' })
    .update({ status: 'interrupted', finished_at: warehouse.fn.now(), error: maskPersonalText(reason) });
}

/**
 * This process's runs still `running` end now with `status` (a hard stop: `interrupted`; a crash: `failed`) and
 * the reason. Called with a fresh connection: the pool may be busy with the very unit being rolled back.
 */
export async function endRunsOfThisProcess(
  warehouse: Warehouse,
  status: Extract<RunStatus, 'interrupted' | 'failed'>,
  reason: string,
): Promise<number> {
  return warehouse('runs')
    .where({ status: 'running', host: os.hostname(), pid: process.pid })
    .update({ status, finished_at: warehouse.fn.now(), error: maskPersonalText(reason) });
}

/** The runs a queued job made (one per attempt that got to start a run), oldest first. */
export async function runsOfJob(
  warehouse: Warehouse,
  jobId: string,
): Promise<Pick<RunRow, 'id' | 'status' | 'started_at' | 'host' | 'pid'>[]> {
  return warehouse('runs')
    .where({ job_id: jobId })
    .orderBy('id')
    .select<Pick<RunRow, 'id' | 'status' | 'started_at' | 'host' | 'pid'>[]>(
      'id',
      'status',
      'started_at',
      'host',
      'pid',
    );
}

/** The highest run id so far (0 when there is none). */
export async function lastRunId(warehouse: Warehouse): Promise<number> {
  const row = await warehouse('runs').max<{ id: number | null }>('id as id').first();
  return row?.id ?? 0;
}

/** The newest run of this pipeline started by this process after run `afterRunId`. */
export async function latestRunOfThisProcess(
  warehouse: Warehouse,
  pipeline: string,
  afterRunId: number,
): Promise<Pick<RunRow, 'id' | 'status'> | undefined> {
  return warehouse('runs')
    .where({ pipeline, host: os.hostname(), pid: process.pid })
    .where('id', '>', afterRunId)
    .orderBy('id', 'desc')
    .first<Pick<RunRow, 'id' | 'status'> | undefined>('id', 'status');
}

/** A run an attempt of a pipeline run made, as stored, with how many files it loaded (source_files `loaded`). */
export interface AttemptRunRow {
  id: number;
  status: RunStatus;
  loadedFiles: number;
}

/**
 * This process's runs of a pipeline since run `afterRunId`, oldest first, each with the files it loaded: under the
 * pipeline's lock, the runs its attempts made. Retried as ending a run is, not once the embedded server is gone.
 */
export async function attemptRunsOfThisProcess(
  warehouse: Warehouse,
  pipeline: string,
  afterRunId: number,
): Promise<AttemptRunRow[]> {
  const rows = await retryWithBackoff(
    RUN_ENDING_RETRY,
    whileServerLives(warehouse, () =>
      warehouse('runs')
        .where({ pipeline, host: os.hostname(), pid: process.pid })
        .where('id', '>', afterRunId)
        .orderBy('id')
        .select<{ id: number; status: RunStatus; loaded_files: string | number }[]>(
          'id',
          'status',
          warehouse.raw(
            "(SELECT count(*) FROM source_files f WHERE f.run_id = runs.id AND f.status = 'loaded') AS loaded_files",
          ),
        ),
    ),
  );
  return rows.map((row) => ({ id: row.id, status: row.status, loadedFiles: Number(row.loaded_files) }));
}

/** One run as stored, or undefined when there is no such run. */
export async function findRun(warehouse: Warehouse, runId: number): Promise<RunRow | undefined> {
  return warehouse('runs').where({ id: runId }).first<RunRow | undefined>();
}

/** Recent runs, newest first, optionally of some statuses or one pipeline or since an instant. */
export async function listRuns(
  warehouse: Warehouse,
  filter: {
    limit: number;
    statuses?: readonly RunStatus[] | undefined;
    pipeline?: string | undefined;
    since?: Date | undefined;
  },
): Promise<RunListRow[]> {
  const query = warehouse('runs').orderBy('id', 'desc').limit(filter.limit);
  if (filter.statuses) query.whereIn('status', filter.statuses);
  if (filter.pipeline) query.where({ pipeline: filter.pipeline });
  if (filter.since) query.where('started_at', '>=', filter.since);
  return query.select<RunListRow[]>(...RUN_LIST_COLUMNS);
}

/**
 * Every pipeline that has a run, whatever its status: what a listing of runs tells apart by name (`…~1`, `…~2`), a
 * removed pipeline's included, the same set whichever runs a page or a filter shows.
 */
export async function pipelinesOfRuns(warehouse: Warehouse): Promise<string[]> {
  const rows = await warehouse('runs').distinct('pipeline').whereNotNull('pipeline');
  return rows.map((row: { pipeline: string }) => row.pipeline);
}

/** Per partition day in [first, last]: the pipeline's latest run that is no longer running. */
export async function latestRunsByPartition(
  warehouse: Warehouse,
  pipeline: string,
  first: string,
  last: string,
): Promise<{ id: number; partition_date: string; status: RunStatus }[]> {
  return warehouse('runs')
    .distinctOn('partition_date')
    .where({ pipeline })
    .whereBetween('partition_date', [first, last])
    .whereNot({ status: 'running' })
    .orderBy([{ column: 'partition_date' }, { column: 'id', order: 'desc' }])
    .select<{ id: number; partition_date: string; status: RunStatus }[]>('id', 'partition_date', 'status');
}
