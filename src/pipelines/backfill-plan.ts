import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { latestRunsByPartition } from '../warehouse/runs-repository.ts';

export const REPROCESS_MODES = ['none', 'failed', 'all'] as const;
export type ReprocessMode = (typeof REPROCESS_MODES)[number];

/** What a backfill will do with one partition day, and why. */
export interface PlannedDay {
  date: string;
  /** Status of the latest run of this pipeline for the day, if any. */
  lastStatus: string | undefined;
  lastRunId: number | undefined;
  action: 'run' | 'skip';
}

/** Every day from `from` to `to` inclusive, as YYYY-MM-DD (calendar days; partitions are dates, not times). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let day = Date.parse(`${from}T00:00:00Z`); day <= end; day += 86_400_000) {
    days.push(new Date(day).toISOString().slice(0, 10));
  }
  return days;
}

/**
 * Which days to run: `none` runs days never run or cut short (interrupted), `failed` also redoes days whose latest run did not
 * complete, `all` redoes every day. A day's runs are all the pipeline's runs stored with that partition day:
 * scheduled and manual runs (by default for the day before) count as well as backfills. Redoing is safe: the sha256 ledger skips content already loaded and the
 * merge gives loaded rows `unchanged`.
 */
export async function planBackfill(
  warehouse: Warehouse,
  pipeline: string,
  days: string[],
  reprocess: ReprocessMode,
): Promise<PlannedDay[]> {
  const latest = await latestRunsByPartition(warehouse, pipeline, days[0] ?? '', days.at(-1) ?? '');
  const byDay = new Map(latest.map((run) => [run.partition_date, run]));
  return days.map((date) => {
    const last = byDay.get(date);
    const run =
      reprocess === 'all' ||
      last === undefined ||
      last.status === 'interrupted' ||
      (reprocess === 'failed' && last.status !== 'completed');
    return { date, lastStatus: last?.status, lastRunId: last?.id, action: run ? 'run' : 'skip' };
  });
}
