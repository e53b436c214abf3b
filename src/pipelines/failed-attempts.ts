import { isInfrastructureFault } from '../../connectors/infrastructure-fault.ts';
import { retryWithBackoff } from '../../connectors/transports/retry-with-backoff.ts';
import { CatalogError } from '../catalog/load-catalog.ts';
import type { Logger } from '../log/logger.ts';
import type { RunError, RunSummary } from '../run/ingest-files.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { interruptedByStop } from '../warehouse/interrupted-by-stop.ts';
import { emptyCounts } from '../warehouse/outcome-counts.ts';
import {
  attemptRunsOfThisProcess,
  failRunningRun,
  findRun,
  finishRunIfRunning,
  latestRunOfThisProcess,
  RUN_ENDING_RETRY,
  runningRunsOfThisProcess,
  setRunAttempts,
  startRun,
} from '../warehouse/runs-repository.ts';
import { EmbeddedServerGone, whileServerLives } from '../warehouse/server-gone.ts';
import type { PipelineDefinition } from './pipeline-definition.ts';
import type { LockedMeanwhile, PipelineRunOptions } from './run-pipeline.ts';

// How a pipeline's failed attempts are stored: each attempt's run ends `failed` with its fault and what it loaded,
// even when the server was down as the attempt ended; the last failure is the run's outcome.

/** This run's attempts' runs still `running` end `failed` with the fault that ended them. */
export async function endLeftoverRuns(
  warehouse: Warehouse,
  pipeline: string,
  runsBefore: number,
  fault: unknown,
): Promise<void> {
  const reason = fault instanceof Error ? fault.message : String(fault);
  for (const runId of await runningRunsOfThisProcess(warehouse, pipeline, runsBefore))
    await failRunningRun(warehouse, runId, reason);
}

/**
 * The run an attempt started before an error ended it (an infrastructure fault thrown on by the loader): ended
 * `failed` with the error and what it loaded if the loader could not end it, marked with its attempt number.
 * Its id goes on the error: recordFailedRun marks that run rather than add another. When the server stays out
 * of reach, the run is ended before the next attempt or at the end (endLeftoverRuns); the error is returned.
 */
export async function endFaultedRun(
  warehouse: Warehouse,
  pipeline: string,
  lastRunBefore: number,
  attempt: number,
  error: unknown,
  log: Logger,
): Promise<unknown> {
  if (typeof error !== 'object' || error === null) return error;
  // A signal's stop closed the pool and ends the run `interrupted` itself (interrupted-by-stop.ts): not a failure.
  if (interruptedByStop(warehouse)) return error;
  try {
    // The pipeline lock is held: a run of this pipeline by this process since the attempt began is the attempt's.
    // Neither waits for an embedded server that ended under the command (EmbeddedServerGone, server-gone.ts).
    const run = await retryWithBackoff(
      RUN_ENDING_RETRY,
      whileServerLives(warehouse, () => latestRunOfThisProcess(warehouse, pipeline, lastRunBefore)),
    );
    if (!run) return error;
    if (run.status === 'running')
      await failRunningRun(warehouse, run.id, error instanceof Error ? error.message : String(error));
    await retryWithBackoff(
      RUN_ENDING_RETRY,
      whileServerLives(warehouse, () => setRunAttempts(warehouse, run.id, attempt)),
    );
    return Object.assign(error, { runId: run.id });
  } catch (endError) {
    // The command stores it `failed` on the server it starts again as it exits (src/cli/with-warehouse.ts).
    if (endError instanceof EmbeddedServerGone) {
      log.warn(`attempt ${attempt}: its run is stored failed as the command exits: ${endError.message}`);
      return error;
    }
    log.error(`attempt ${attempt}: its run could not be marked failed yet: ${(endError as Error).message}`);
    return error;
  }
}

/**
 * Another process took the pipeline's lock after this run's session lost it (`locked`): the runs this run's
 * attempts made, as stored (ended `failed` by then, endLeftoverRuns), with the files each loaded, so that the
 * command says what was done rather than nothing. Unreadable (the server out of reach again): `runs` undefined.
 */
export async function lockedMeanwhile(
  warehouse: Warehouse,
  pipeline: string,
  runsBefore: number,
  error: unknown,
  log: Logger,
): Promise<LockedMeanwhile> {
  const { attempts: attempt = 1 } = error as { attempts?: number };
  try {
    return { attempt, runs: await attemptRunsOfThisProcess(warehouse, pipeline, runsBefore) };
  } catch (readError) {
    log.error(`what this run's attempts loaded could not be read: ${(readError as Error).message}`);
    return { attempt, runs: undefined };
  }
}

/**
 * What a `locked` run says: nothing done when another process held the pipeline's lock from the start; when it
 * took the lock after this run's session lost it, what the attempts had loaded by then and in which runs.
 */
export function lockedMessage(pipeline: string, meanwhile: LockedMeanwhile | undefined): string {
  const locked = `pipeline ${pipeline} is running in another process`;
  if (!meanwhile) return `${locked}: nothing done`;
  const { attempt, runs } = meanwhile;
  const took = `${locked}, which took its lock after this run's database session was lost`;
  const found = `attempt ${attempt} found the pipeline locked`;
  if (!runs)
    return `${took}: ${found}; what the attempts before loaded could not be read (runs list --pipeline ${pipeline})`;
  if (runs.length === 0) return `${took}: ${found}; no attempt before had started a run: nothing done`;
  const total = runs.reduce((sum, run) => sum + run.loadedFiles, 0);
  const each = runs
    .map(
      (run) =>
        `run ${run.id}, stored ${run.status}${runs.length > 1 ? `: ${filesText(run.loadedFiles)}` : ''}`,
    )
    .join('; ');
  return `${took}: this run had loaded ${filesText(total)} by then (${each}); ${found} and did no more`;
}

const filesText = (count: number) => (count === 1 ? '1 file' : `${count} files`);

/**
 * The last attempt's failure: stored on that attempt's run, or as a run of its own when the attempt never got
 * to its units (transport down, bad configuration), with the reason and the number of attempts.
 */
export async function recordFailedRun(
  warehouse: Warehouse,
  pipeline: PipelineDefinition,
  options: PipelineRunOptions & { day: string },
  error: unknown,
  log: Logger,
): Promise<RunSummary> {
  const message = error instanceof Error ? error.message : String(error);
  const { attempts = 1, runId: attemptRunId } = error as { attempts?: number; runId?: number };
  if (attemptRunId !== undefined) {
    log.error(`run ${attemptRunId} failed after ${attempts} attempt(s): ${message}`, { runId: attemptRunId });
    try {
      // Ended by its attempt, or by endLeftoverRuns, unless the server was out of reach then: ended here, so that the
      // run is never left `running` with its attempts counted. Both wait out a restart as the run's end does, but
      // not an embedded server that ended under the command (EmbeddedServerGone).
      await failRunningRun(warehouse, attemptRunId, message);
      await retryWithBackoff(
        RUN_ENDING_RETRY,
        whileServerLives(warehouse, () => setRunAttempts(warehouse, attemptRunId, attempts)),
      );
      return { ...(await attemptSummary(warehouse, attemptRunId)), error: runErrorOf(error) };
    } catch (recordError) {
      throw runNotRecorded(recordError, attemptRunId);
    }
  }
  const summary = await recordRunBeforeFirstFile(warehouse, pipeline, options, 'failed', message, attempts);
  log.error(`run ${summary.runId} failed after ${attempts} attempt(s): ${message}`, { runId: summary.runId });
  return { ...summary, error: runErrorOf(error) };
}

/** A run's own error, as its summary gives it (`run --json`'s `error`) and a worker judges it (retried or not). */
export function runErrorOf(error: unknown): RunError {
  return {
    code: errorCode(error),
    message: error instanceof Error ? error.message : String(error),
    infrastructure: isInfrastructureFault(error),
  };
}

/** The error's stable code (a transport's, Node's, PostgreSQL's), or its cause's; a catalog's; else internal-error. */
function errorCode(error: unknown, depth = 0): string {
  if (error instanceof CatalogError) return 'catalog';
  const { code, cause } = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    cause?: unknown;
  };
  if (typeof code === 'string' && code !== '') return code;
  if (cause !== undefined && depth < 4) return errorCode(cause, depth + 1);
  return 'internal-error';
}

/**
 * A run that ended before its first file (failed, or stopped by a signal): stored as a run of its own, with no
 * counts, the reason and the number of attempts, so that every pipeline run leaves a row in `runs show`. Its end
 * waits out a restarting server as every run's end does (RUN_ENDING_RETRY), not an embedded server that ended under
 * the command (EmbeddedServerGone at once); still out of reach after that, the error names the run (runNotRecorded).
 */
export async function recordRunBeforeFirstFile(
  warehouse: Warehouse,
  pipeline: PipelineDefinition,
  options: PipelineRunOptions & { day: string },
  status: 'failed' | 'interrupted',
  reason: string,
  attempts: number,
): Promise<RunSummary> {
  const runId = await startRun(
    warehouse,
    options.kind ?? 'pipeline',
    { transport: pipeline.transport.type },
    pipeline.name,
    {
      partitionDate: options.day,
      thresholds: options.thresholds ?? pipeline.thresholds,
      jobId: options.jobId,
    },
  );
  const counts = emptyCounts();
  try {
    // Only a `running` run is ended: a retry after an answer lost with its connection does not end it twice.
    await finishRunIfRunning(warehouse, runId, { status, counts, errorsByCode: {}, error: reason });
    await retryWithBackoff(
      RUN_ENDING_RETRY,
      whileServerLives(warehouse, () => setRunAttempts(warehouse, runId, attempts)),
    );
  } catch (recordError) {
    throw runNotRecorded(recordError, runId);
  }
  return { runId, status, counts, errorsByCode: {}, files: [] };
}

/**
 * A run whose end could not be stored (the server out of reach at that moment): the error names it, `runId`, and
 * says that what is stored of it may be stale (`runStatusMayBeStale`: still `running` until this process's exit or
 * the next command ends it, or its attempts not counted), for `run --json`'s failure (src/cli/exit-codes.ts).
 */
export function runNotRecorded(error: unknown, runId: number): Error {
  const named = error instanceof Error ? error : new Error(String(error));
  return Object.assign(named, { runId, runStatusMayBeStale: true });
}

/** The run a runNotRecorded error names (`backfill` stops at that day, `run` fails naming it); else undefined. */
export function notRecordedRun(error: unknown): number | undefined {
  const { runId, runStatusMayBeStale } = (typeof error === 'object' && error !== null ? error : {}) as {
    runId?: unknown;
    runStatusMayBeStale?: unknown;
  };
  return typeof runId === 'number' && runStatusMayBeStale === true ? runId : undefined;
}

/** A failed attempt's run as stored (its loaded files are in source_files; the summary lists none). */
async function attemptSummary(warehouse: Warehouse, runId: number): Promise<RunSummary> {
  const run = await findRun(warehouse, runId);
  return {
    runId,
    status: 'failed',
    counts: { ...emptyCounts(), ...run?.counts },
    errorsByCode: run?.errors_by_code ?? {},
    files: [],
  };
}
