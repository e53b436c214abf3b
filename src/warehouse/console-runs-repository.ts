import type { RowError } from '../../connectors/row-error.ts';
import type { Warehouse } from './connect-warehouse.ts';
import { RUN_LIST_COLUMNS, type RunListRow, type RunStatus } from './runs-repository.ts';

/**
 * The console's run queries. Runs are few (one per pipeline, partition day and attempt: tens of thousands over
 * years), and every query here is bounded: the grid by a date range on the (pipeline, partition_date) index
 * (004), lists by keyset on the primary key.
 */

/**
 * A completed run that read no file (its source had nothing new for the day: a retry after the file was moved to
 * failed/, a rerun of a day already loaded). It changed nothing, so it does not stand for its day in the grid.
 */
const readNothingSql = (run: string) =>
  `(${run}.status = 'completed' AND NOT EXISTS (SELECT 1 FROM source_files f WHERE f.run_id = ${run}.id))`;
const READ_NOTHING_SQL = readNothingSql('r');

/**
 * Run `r` read no file, and the latest earlier run of its pipeline's partition day that stands for the day (read a
 * file or did not complete) did not complete: a retry of a failed day that changed nothing. The grid shows that
 * day as the failed run, `r` among its `read_nothing_after`; the failed run's page says the retry read nothing.
 * A run that read nothing with no such run before it (a scheduled run of a new day that found no file) or after a
 * day that completed (a rerun of a day already loaded) is not one. `/metrics` does not count it as the pipeline's
 * last success (metrics-repository.ts).
 */
export const READ_NOTHING_RETRY_OF_FAILED_DAY_SQL = `(${READ_NOTHING_SQL} AND coalesce(
  (SELECT s.status FROM runs s
    WHERE s.pipeline = r.pipeline AND s.partition_date = r.partition_date AND s.id < r.id
      AND NOT ${readNothingSql('s')}
    ORDER BY s.id DESC LIMIT 1), 'completed') <> 'completed')`;

/**
 * One cell of the day grid: the pipeline's latest run of the partition day that read a file or did not complete
 * (else its latest run), and the runs after it that completed without reading any file.
 */
export interface GridCell {
  id: number;
  pipeline: string;
  partition_date: string;
  status: RunStatus;
  /** The run shown completed without reading a file (no run of the day read one). */
  read_nothing: boolean;
  /** Later runs of the day that completed without reading a file, oldest first: they changed nothing. */
  read_nothing_after: number[];
}

export async function runGrid(
  warehouse: Warehouse,
  filter: { first: string; last: string; pipeline?: string | undefined },
): Promise<GridCell[]> {
  const { rows } = await warehouse.raw<{ rows: GridCell[] }>(
    `WITH day_runs AS (
       SELECT r.id, r.pipeline, r.partition_date, r.status, ${READ_NOTHING_SQL} AS read_nothing
         FROM runs r
        WHERE r.pipeline IS NOT NULL AND r.partition_date BETWEEN ?::date AND ?::date
          AND (?::text IS NULL OR r.pipeline = ?))
     SELECT DISTINCT ON (d.pipeline, d.partition_date) d.id, d.pipeline, d.partition_date, d.status,
            d.read_nothing,
            coalesce((SELECT array_agg(e.id ORDER BY e.id) FROM day_runs e
                       WHERE e.pipeline = d.pipeline AND e.partition_date = d.partition_date
                         AND e.id > d.id AND e.read_nothing), '{}') AS read_nothing_after
       FROM day_runs d
      ORDER BY d.pipeline, d.partition_date, d.read_nothing, d.id DESC`,
    [filter.first, filter.last, filter.pipeline ?? null, filter.pipeline ?? null],
  );
  return rows;
}

/** A later run of a pipeline's partition day (a run's page: did a retry change anything?). */
export interface LaterRun {
  id: number;
  status: RunStatus;
  /** Completed without reading any file. */
  read_nothing: boolean;
}

/** The runs of `pipeline`'s `day` after run `afterId`, oldest first (on runs_pipeline_partition). */
export async function laterRunsOfDay(
  warehouse: Warehouse,
  pipeline: string,
  day: string,
  afterId: number,
): Promise<LaterRun[]> {
  const { rows } = await warehouse.raw<{ rows: LaterRun[] }>(
    `SELECT r.id, r.status, ${READ_NOTHING_SQL} AS read_nothing
       FROM runs r WHERE r.pipeline = ? AND r.partition_date = ?::date AND r.id > ? ORDER BY r.id`,
    [pipeline, day, afterId],
  );
  return rows;
}

export interface RunsPageFilter {
  limit: number;
  /** Keyset: the smallest id of the previous page (newest first). */
  before?: number | undefined;
  pipeline?: string | undefined;
  statuses?: readonly RunStatus[] | undefined;
  /** Partition day, or the start day for runs without one (ingest), in [first, last]. */
  first?: string | undefined;
  last?: string | undefined;
}

/** A run in the console's list: where an `ingest` run came from (`direct-report`: the console's 数据直报). */
export type ConsoleRunRow = RunListRow & { origin: string | null };

/** A page of runs, newest first; one more row than asked tells the caller there is a next page. */
export async function runsPage(warehouse: Warehouse, filter: RunsPageFilter): Promise<ConsoleRunRow[]> {
  const query = warehouse('runs')
    .orderBy('id', 'desc')
    .limit(filter.limit + 1);
  if (filter.before !== undefined) query.where('id', '<', filter.before);
  if (filter.pipeline) query.where({ pipeline: filter.pipeline });
  if (filter.statuses) query.whereIn('status', filter.statuses);
  const day = warehouse.raw("coalesce(partition_date, (started_at AT TIME ZONE 'Asia/Shanghai')::date)");
  if (filter.first) query.where(day, '>=', filter.first);
  if (filter.last) query.where(day, '<=', filter.last);
  return query.select<ConsoleRunRow[]>(...RUN_LIST_COLUMNS, warehouse.raw("options ->> 'origin' AS origin"));
}

/** A pipeline's latest run (the pipelines page's "last status"), and whether it completed without reading a file. */
export type LastRun = Pick<
  RunListRow,
  'id' | 'pipeline' | 'status' | 'started_at' | 'finished_at' | 'partition_date'
> & { read_nothing: boolean };

/** The latest run of each named pipeline that has run (the pipelines page's "last status"): one index probe each. */
export async function lastRunOfEachPipeline(
  warehouse: Warehouse,
  pipelines: readonly string[],
): Promise<LastRun[]> {
  if (pipelines.length === 0) return [];
  const result = await warehouse.raw<{ rows: LastRun[] }>(
    `SELECT r.id, r.pipeline, r.status, r.started_at, r.finished_at, r.partition_date,
            ${READ_NOTHING_SQL} AS read_nothing
       FROM unnest(?::text[]) AS p (name)
       CROSS JOIN LATERAL (SELECT * FROM runs WHERE pipeline = p.name ORDER BY id DESC LIMIT 1) r`,
    [[...pipelines]],
  );
  return result.rows;
}

/** The first rejected rows of a run (a sample for its page; the full list is the rejections page). */
export async function firstRejectionsOfRun(
  warehouse: Warehouse,
  runId: number,
  limit: number,
): Promise<
  {
    id: number;
    file: string;
    row_number: number;
    catalog_code: string;
    raw: Record<string, string>;
    errors: RowError[];
  }[]
> {
  return warehouse('rejections as r')
    .join('source_files as f', 'f.id', 'r.source_file_id')
    .where('r.run_id', runId)
    .orderBy('r.id')
    .limit(limit)
    .select('r.id', 'f.name as file', 'r.row_number', 'r.catalog_code', 'r.raw', 'r.errors');
}
