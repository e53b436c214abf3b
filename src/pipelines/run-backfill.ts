import type { Catalog } from '../catalog/load-catalog.ts';
import type { Logger } from '../log/logger.ts';
import type { RunSummary } from '../run/ingest-files.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { daysBetween, type PlannedDay, planBackfill, type ReprocessMode } from './backfill-plan.ts';
import type { PipelineDefinition } from './pipeline-definition.ts';
import { type PipelineRunOptions, runPipeline } from './run-pipeline.ts';

export interface BackfillRequest extends Omit<PipelineRunOptions, 'kind' | 'partition'> {
  from: string;
  to: string;
  reprocess: ReprocessMode;
  /** Only plan: nothing is read or written. */
  dryRun?: boolean;
}

export interface BackfillDay extends PlannedDay {
  /** The run made for the day (not in a dry run, not for skipped days). */
  summary?: RunSummary;
  /** Another process held the pipeline's lock. */
  locked?: boolean;
}

/** One run per partition day, oldest first; stops early when asked to stop (SIGTERM) or the lock is taken. */
export async function runBackfill(
  warehouse: Warehouse,
  catalog: Catalog,
  pipeline: PipelineDefinition,
  request: BackfillRequest,
  logger: Logger,
): Promise<BackfillDay[]> {
  const plan = await planBackfill(
    warehouse,
    pipeline.name,
    daysBetween(request.from, request.to),
    request.reprocess,
  );
  if (request.dryRun) return plan;
  const { from: _from, to: _to, reprocess: _reprocess, dryRun: _dryRun, ...runOptions } = request;
  const days: BackfillDay[] = [];
  for (const day of plan) {
    if (day.action === 'skip' || request.signal?.aborted) {
      days.push(day);
      continue;
    }
    const result = await runPipeline(
      warehouse,
      catalog,
      pipeline,
      { ...runOptions, kind: 'backfill', partition: day.date },
      logger,
    );
    if (result.status === 'locked') {
      days.push({ ...day, locked: true });
      break;
    }
    days.push({ ...day, summary: result.summary });
  }
  return days;
}
