import os from 'node:os';
import type { IntegrityCounts } from '../verify/integrity-finding.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import type { OutcomeCounts } from './outcome-counts.ts';
import type { Thresholds } from './reject-threshold.ts';

export const RUN_KINDS = ['ingest', 'pipeline', 'backfill', 'demo', 'verify'] as const;
export type RunKind = (typeof RUN_KINDS)[number];
export const RUN_STATUSES = ['running', 'completed', 'failed', 'failed-threshold', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export async function startRun(
  warehouse: Warehouse,
  kind: RunKind,
  options: Record<string, unknown>,
  pipeline?: string,
  extra: { partitionDate?: string | undefined; thresholds?: Thresholds | undefined } = {},
): Promise<number> {
  const [row] = await warehouse('runs')
    .insert({
      kind,
      pipeline: pipeline ?? null,
      partition_date: extra.partitionDate ?? null,
      thresholds: extra.thresholds ? JSON.stringify(extra.thresholds) : null,
      options: JSON.stringify(options),
      host: os.hostname(),
      pid: process.pid,
    })
    .returning<{ id: number }[]>('id');
  return row!.id;
}

export async function finishRun(
  warehouse: Warehouse,
  runId: number,
  result: {
    status: RunStatus;
    /** A load's outcomes, or what a verify run checked and found. */
    counts: OutcomeCounts | IntegrityCounts;
    errorsByCode: Record<string, number>;
    error?: string;
  },
): Promise<void> {
  await warehouse('runs')
    .where({ id: runId })
    .update({
      status: result.status,
      counts: JSON.stringify(result.counts),
      errors_by_code: JSON.stringify(result.errorsByCode),
      error: result.error ?? null,
      finished_at: warehouse.fn.now(),
    });
}

/**
 * Runs still `running` whose process is gone (killed, machine restarted) are marked `interrupted`. Their
 * units were never committed, so nothing of them is in the warehouse and the next run loads them whole.
 */
export async function markInterruptedRuns(warehouse: Warehouse): Promise<number> {
  const running = await warehouse('runs')
    .where({ status: 'running', host: os.hostname() })
    .select('id', 'pid');
  const dead = running.filter((run: { pid: number | null }) => run.pid !== process.pid && !isAlive(run.pid));
  if (dead.length === 0) return 0;
  return warehouse('runs')
    .whereIn(
      'id',
      dead.map((run: { id: number }) => run.id),
    )
    .update({
      status: 'interrupted',
      finished_at: warehouse.fn.now(),
      error: 'process ended before the run finished',
    });
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
    .update({ status, finished_at: warehouse.fn.now(), error: reason });
}

function isAlive(pid: number | null): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
