import type { Warehouse } from './connect-warehouse.ts';
import {
  REJECTION_COLUMNS,
  type RejectionRecord,
  type RejectionRow,
  rejectionRow,
} from './rejections-repository.ts';

/** What the console's rejection list is narrowed to; every part optional, all parts together. */
export interface RejectionFilter {
  providerCode?: string | undefined;
  catalogCode?: string | undefined;
  /** An error code any of the row's errors carries (`uscc-check-digit`). */
  errorCode?: string | undefined;
  /** First and last received day of the file, YYYY-MM-DD in Asia/Shanghai. */
  from?: string | undefined;
  to?: string | undefined;
  runId?: number | undefined;
}

/** One page of rejections, newest first, and the id to continue below (undefined on the last page). */
export interface RejectionPage {
  rows: Array<RejectionRow & { receivedAt: Date }>;
  nextBefore: number | undefined;
}

type BrowsedRecord = RejectionRecord & { received_at: Date };

/**
 * One page of the rejections matching the filter, newest first (keyset: `id < before`), so page 2,000 costs
 * what page 1 costs. Each condition is one an index of migrations/020-console-indexes.ts answers: provider or
 * catalog entry with the id order, the error code by jsonb containment, the received days through the files.
 * The days are turned into a half-open range of instants in Asia/Shanghai, so the file's index is used.
 */
export async function rejectionPage(
  warehouse: Warehouse,
  filter: RejectionFilter,
  options: { before?: number | undefined; limit: number },
): Promise<RejectionPage> {
  const query = warehouse('rejections as r')
    .join('source_files as f', 'f.id', 'r.source_file_id')
    .limit(options.limit + 1)
    .select<BrowsedRecord[]>(...REJECTION_COLUMNS, 'f.received_at');
  if (options.before !== undefined) query.where('r.id', '<', options.before);
  if (filter.runId !== undefined) query.where('r.run_id', filter.runId);
  if (filter.providerCode) query.where('r.provider_code', filter.providerCode);
  if (filter.catalogCode) query.where('r.catalog_code', filter.catalogCode);
  if (filter.errorCode) {
    query.whereRaw('r.errors @> ?::jsonb', [JSON.stringify([{ code: filter.errorCode }])]);
    // The planner cannot know how rare a code is: in id order it walks the primary key backwards hoping to meet
    // 50 matches soon, and reads every rejection when the code is rare (2.1 s for none in 300,000). Sorting an
    // expression of the id makes it fetch the matches through rejections_error_codes first (54-200 ms,
    // bench/console-queries.ts), bounded whatever the code.
    query.orderByRaw('r.id + 0 DESC');
  } else query.orderBy('r.id', 'desc');
  if (filter.from)
    query.whereRaw(`f.received_at >= (?::date)::timestamp AT TIME ZONE 'Asia/Shanghai'`, [filter.from]);
  if (filter.to)
    query.whereRaw(`f.received_at < (?::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'`, [filter.to]);
  const found = await query;
  const rows = found
    .slice(0, options.limit)
    .map((row) => ({ ...rejectionRow(row), receivedAt: row.received_at }));
  return { rows, nextBefore: found.length > options.limit ? rows.at(-1)?.id : undefined };
}

/** The providers that have rejections, for the filter's list (from the files: far fewer rows than rejections). */
export async function providersWithFiles(warehouse: Warehouse): Promise<string[]> {
  const rows = await warehouse('source_files')
    .distinct<{ provider_code: string }[]>('provider_code')
    .orderBy('provider_code');
  return rows.map((row) => row.provider_code);
}
