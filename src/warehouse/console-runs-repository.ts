import type { RowError } from '../../connectors/row-error.ts';
import type { Warehouse } from './connect-warehouse.ts';
import { RUN_LIST_COLUMNS, type RunListRow, type RunStatus } from './runs-repository.ts';

/**
 * The console's run queries. Runs are few (one per pipeline, partition day and attempt: tens of thousands over
 * years), and every query here is bounded: the grid by a date range on the (pipeline, partition_date) index
 * (004), lists by keyset on the primary key.
 */

/** One cell of the day grid: a pipeline's latest run for one partition day. */
export interface GridCell {
  id: number;
  pipeline: string;
  partition_date: string;
  status: RunStatus;
}

export async function runGrid(
  warehouse: Warehouse,
  filter: { first: string; last: string; pipeline?: string | undefined },
): Promise<GridCell[]> {
  const query = warehouse('runs')
    .distinctOn('pipeline', 'partition_date')
    .whereNotNull('pipeline')
    .whereBetween('partition_date', [filter.first, filter.last])
    .orderBy([{ column: 'pipeline' }, { column: 'partition_date' }, { column: 'id', order: 'desc' }]);
  if (filter.pipeline) query.where({ pipeline: filter.pipeline });
  return query.select<GridCell[]>('id', 'pipeline', 'partition_date', 'status');
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

/** A page of runs, newest first; one more row than asked tells the caller there is a next page. */
export async function runsPage(warehouse: Warehouse, filter: RunsPageFilter): Promise<RunListRow[]> {
  const query = warehouse('runs')
    .orderBy('id', 'desc')
    .limit(filter.limit + 1);
  if (filter.before !== undefined) query.where('id', '<', filter.before);
  if (filter.pipeline) query.where({ pipeline: filter.pipeline });
  if (filter.statuses) query.whereIn('status', filter.statuses);
  const day = warehouse.raw("coalesce(partition_date, (started_at AT TIME ZONE 'Asia/Shanghai')::date)");
  if (filter.first) query.where(day, '>=', filter.first);
  if (filter.last) query.where(day, '<=', filter.last);
  return query.select<RunListRow[]>(...RUN_LIST_COLUMNS);
}

/** The latest run of each named pipeline that has run (the pipelines page's "last status"): one index probe each. */
export async function lastRunOfEachPipeline(
  warehouse: Warehouse,
  pipelines: readonly string[],
): Promise<
  Pick<RunListRow, 'id' | 'pipeline' | 'status' | 'started_at' | 'finished_at' | 'partition_date'>[]
> {
  if (pipelines.length === 0) return [];
  const result = await warehouse.raw<{
    rows: Pick<RunListRow, 'id' | 'pipeline' | 'status' | 'started_at' | 'finished_at' | 'partition_date'>[];
  }>(
    `SELECT r.id, r.pipeline, r.status, r.started_at, r.finished_at, r.partition_date
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
