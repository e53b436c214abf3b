import type { Catalog } from '../catalog/load-catalog.ts';
import type { Logger } from '../log/logger.ts';
import type { RunSummary } from '../run/ingest-files.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { failRunningRun } from '../warehouse/runs-repository.ts';
import { daysBetween, type PlannedDay, planBackfill, type ReprocessMode } from './backfill-plan.ts';
import { notRecordedRun } from './failed-attempts.ts';
import type { PipelineDefinition } from './pipeline-definition.ts';
import { type PipelineRunOptions, type PipelineRunResult, runPipeline } from './run-pipeline.ts';

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
  /**
   * The day's run was created but its end could not be stored (the database out of reach then, after the waits
   * every run's end makes): its id and the error. What `runs show` says of it may be stale (ended `failed` with
   * the database's error once it answers, as a failed command's exit ends its runs); the backfill stops.
   */
  notRecorded?: { runId: number; error: string };
}

/**
 * One run per partition day, oldest first; stops early when asked to stop (SIGTERM), the lock is taken, or a day's
 * run could not be recorded (that day is the last, with `notRecorded`: the days before keep their runs).
 */
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
    let result: PipelineRunResult;
    try {
      result = await runPipeline(
        warehouse,
        catalog,
        pipeline,
        { ...runOptions, kind: 'backfill', partition: day.date },
        logger,
      );
    } catch (error) {
      const runId = notRecordedRun(error);
      if (runId === undefined) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      // Ended here as the command's exit would end it had the backfill failed: not left `running`, if it can be.
      await failRunningRun(warehouse, runId, reason).catch((endError: unknown) =>
        logger.error(`run ${runId} could not be marked failed: ${(endError as Error).message}`, { runId }),
      );
      days.push({ ...day, notRecorded: { runId, error: reason } });
      break;
    }
    if (result.status === 'locked') {
      days.push({ ...day, locked: true });
      break;
    }
    days.push({ ...day, summary: result.summary });
  }
  return days;
}
