import type { Warehouse } from './connect-warehouse.ts';
import { READ_NOTHING_RETRY_OF_FAILED_DAY_SQL } from './console-runs-repository.ts';
import { OUTCOMES, type Outcome } from './outcome-counts.ts';
import type { RunKind, RunStatus } from './runs-repository.ts';

/** Rows read by every run so far, by outcome (the sums of `runs.counts`). */
export async function rowsByOutcome(warehouse: Warehouse): Promise<Record<Outcome, number>> {
  const sums = OUTCOMES.map(
    (outcome) => `coalesce(sum((counts ->> '${outcome}')::bigint), 0) AS "${outcome}"`,
  );
  const { rows } = await warehouse.raw<{ rows: Record<Outcome, string>[] }>(
    `SELECT ${sums.join(', ')} FROM runs WHERE kind IN ('ingest', 'pipeline', 'backfill', 'demo')`,
  );
  const row = rows[0];
  return Object.fromEntries(OUTCOMES.map((outcome) => [outcome, Number(row?.[outcome] ?? 0)])) as Record<
    Outcome,
    number
  >;
}

/** How many runs there are of each kind and status. */
export async function runsByStatus(
  warehouse: Warehouse,
): Promise<{ kind: RunKind; status: RunStatus; runs: number }[]> {
  const { rows } = await warehouse.raw<{ rows: { kind: RunKind; status: RunStatus; runs: string }[] }>(
    'SELECT kind, status, count(*) AS runs FROM runs GROUP BY kind, status',
  );
  return rows.map((row) => ({ ...row, runs: Number(row.runs) }));
}

/**
 * Per pipeline: its last finished run's duration and status, and when its last successful run finished: a
 * completed run, except one that read no file as a retry of a failed day (the day grid's notion: the day is
 * still failed). A completed run that read no file otherwise (a scheduled run of a new day that found none, a
 * rerun of a day already loaded) counts.
 */
export interface PipelineRunTimes {
  pipeline: string;
  lastStatus: RunStatus;
  lastDurationSeconds: number;
  /** Seconds since the epoch; undefined when no run of it succeeded yet. */
  lastSuccessAt: number | undefined;
}

export async function pipelineRunTimes(warehouse: Warehouse): Promise<PipelineRunTimes[]> {
  const { rows } = await warehouse.raw<{
    rows: { pipeline: string; status: RunStatus; duration: string; success: string | null }[];
  }>(`
    SELECT last.pipeline, last.status,
           extract(epoch FROM last.finished_at - last.started_at) AS duration,
           (SELECT extract(epoch FROM max(r.finished_at)) FROM runs r
             WHERE r.pipeline = last.pipeline AND r.status = 'completed'
               AND NOT ${READ_NOTHING_RETRY_OF_FAILED_DAY_SQL}) AS success
      FROM (SELECT DISTINCT ON (pipeline) pipeline, status, started_at, finished_at
              FROM runs WHERE pipeline IS NOT NULL AND finished_at IS NOT NULL
             ORDER BY pipeline, id DESC) last
  `);
  return rows.map((row) => ({
    pipeline: row.pipeline,
    lastStatus: row.status,
    lastDurationSeconds: Number(row.duration),
    lastSuccessAt: row.success === null ? undefined : Number(row.success),
  }));
}

/** Jobs waiting or working in pg-boss's queue tables, by queue and state; none when pg-boss is not installed. */
export async function queueDepth(
  warehouse: Warehouse,
  schema = 'pgboss',
): Promise<{ queue: string; state: string; jobs: number }[]> {
  const { rows: found } = await warehouse.raw<{ rows: { job: string | null }[] }>(
    'SELECT to_regclass(?) AS job',
    [`${schema}.job`],
  );
  if (!found[0]?.job) return [];
  const { rows } = await warehouse.raw<{ rows: { queue: string; state: string; jobs: string }[] }>(
    `SELECT name AS queue, state::text AS state, count(*) AS jobs FROM ??.job
      WHERE state IN ('created', 'retry', 'active') GROUP BY name, state`,
    [schema],
  );
  return rows.map((row) => ({ ...row, jobs: Number(row.jobs) }));
}

/** The database answers a trivial query: what `/healthz` reports. */
export async function pingWarehouse(warehouse: Warehouse): Promise<void> {
  await warehouse.raw('SELECT 1');
}
