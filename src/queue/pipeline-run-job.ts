import type { AlertEvent, AlertSink } from '../alerts/alert-event.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import { PipelineError } from '../pipelines/load-pipelines.ts';
import type { PipelineDefinition } from '../pipelines/pipeline-definition.ts';
import { maskedPipelineNames, type PipelineNameShown } from '../pipelines/pipeline-names-shown.ts';
import { type LockedMeanwhile, runPipeline } from '../pipelines/run-pipeline.ts';
import { describeErrorCode } from '../report/error-codes.ts';
import type { RunSummary } from '../run/ingest-files.ts';
import { findRun } from '../warehouse/runs-repository.ts';
import type { JobContext } from './job-handlers.ts';
import { JobDeferred, JobFailure, JobStopped } from './job-handlers.ts';
import type { PipelineRunJob } from './job-kinds.ts';
import type { JobData } from './job-queue.ts';
import { chunkHelpersOf } from './stage-chunks-job.ts';

/**
 * One queued run of a pipeline, as `run` would do it inline, with the job's id on the run. The queue retries
 * (another worker may take the next attempt), so the run itself is tried once: the pipeline's `retry` became
 * the job's retry limit and delay when it was enqueued. A run that completed, or stopped at a reject
 * threshold or failed for its files' own defects only (a header, an encoding, a limit: error codes of scope
 * `file`; trying again changes nothing, the files are moved aside already) or as a whole for its configuration
 * (a drop directory that does not exist: not retried, as inline) completes the job, its output naming
 * the run, its status and error; a run failed otherwise (the platform's fault) fails it, to be retried; an
 * interrupted one (the worker stopping, the job cancelled) stops it (JobStopped: put back, no attempt counted, or
 * left cancelled). A pipeline locked by another process (a long backfill day, a run of `run`) has not started: the
 * job waits and tries again, no attempt counted (LOCKED_WAIT_SECONDS); locked after its run lost its session, its
 * runs stay `failed` with what they loaded, and the job waits alike (lockedJobWaits). A failed run is alerted
 * (`run-failed`) on the job's last attempt, or when it completes the job: else the queue retries, and "failed after
 * its retries" is not yet true. A job whose pipeline file can no longer be loaded (deleted, invalid, naming an entry or a field the
 * catalog lacks: a PipelineError) runs nothing and completes, alerted `run-failed` once, not retried: another
 * attempt reads the same file (pipelineNotLoaded). Any other error loading it fails the job, to be retried.
 */
export async function runPipelineJob(data: JobData, context: JobContext): Promise<Record<string, unknown>> {
  const job = data as PipelineRunJob;
  let pipeline: PipelineDefinition;
  try {
    pipeline = await context.pipeline(job.pipeline);
  } catch (error) {
    const refused = pipelineRefusal(error);
    if (!refused) throw error;
    return pipelineNotLoaded(job, refused, context);
  }
  const lastAttempt = context.job.retryCount >= context.job.retryLimit;
  // Before its last attempt a failed run's alert waits for what the job does: sent if it completes the job.
  const held = context.alerts ? holdingRunFailed(context.alerts, lastAttempt) : undefined;
  const result = await runPipeline(
    context.warehouse,
    context.catalog,
    { ...pipeline, retry: { attempts: 1, backoffSeconds: 0 } },
    {
      kind: job.runKind,
      ...(job.runKind === 'backfill'
        ? { partition: job.partition }
        : { triggeredAt: new Date(job.triggeredAt ?? Date.now()) }),
      ...(job.thresholds ? { thresholds: job.thresholds } : {}),
      signal: context.signal,
      stagingDir: context.stagingDir,
      jobId: context.job.id,
      chunkHelpers: chunkHelpersOf(context.queue),
      ...(held ? { alerts: held.sink } : {}),
      ...(context.pipelineNames ? { pipelineNames: context.pipelineNames } : {}),
    },
    context.logger,
  );
  if (result.status === 'locked') {
    const wait = lockedWaitSeconds(pipeline.retry.backoffSeconds);
    // Named as `pipelines list` names it (`…~1`), so that its `runs list --pipeline` hint can be typed back.
    const shown = (await namesNow(context))(job.pipeline);
    throw new JobDeferred(lockedJobWaits(shown, wait, result.meanwhile), wait);
  }
  const { summary } = result;
  const output = { runId: summary.runId, status: summary.status, counts: summary.counts };
  if (summary.status === 'completed' || summary.status === 'failed-threshold') return output;
  const notRetried =
    summary.status === 'failed'
      ? failedForTheFilesOnly(summary)
        ? "every failure of the run is a defect of the provider's file (error codes of scope file): trying again cannot fix it"
        : failedForItsConfiguration(summary)
          ? `the run failed as a whole for its configuration or a defect (${summary.error?.code}), not a fault of the database, the network or a server: trying again cannot fix it until it is corrected`
          : undefined
      : undefined;
  if (notRetried) {
    // The provider's files are at fault (a header, an encoding, a limit): another attempt finds them moved aside
    // to failed/ and would only add an empty run. Or the configuration is (a drop directory that does not exist, an
    // entry the catalog lacks): another attempt fails alike. The job completes; its run stays `failed`, alerted
    // (run-failed).
    await held?.release();
    const run = await findRun(context.warehouse, summary.runId);
    return {
      ...output,
      error: `run ${summary.runId} failed: ${run?.error ?? 'see credit-etl runs show'}`,
      retried: false,
      why: notRetried,
    };
  }
  if (summary.status === 'interrupted') {
    throw new JobStopped(
      `run ${summary.runId} stopped before it finished (the worker is stopping or the job was cancelled)`,
      output,
    );
  }
  const run = await findRun(context.warehouse, summary.runId);
  throw new JobFailure(
    `run ${summary.runId} failed: ${run?.error ?? 'see credit-etl runs show'}`,
    output,
    lastAttempt && context.alerts !== undefined,
  );
}

/** The pipeline names as the listings show them now; a listing that cannot be read: masked only. */
function namesNow(context: JobContext): Promise<PipelineNameShown> {
  return (context.pipelineNames ?? maskedPipelineNames)().catch(() => maskPersonalText);
}

/** The PipelineError an error is, or was caused by (pipelineNamed keeps it as its UsageError's cause). */
function pipelineRefusal(error: unknown): PipelineError | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++)
    if (cause instanceof PipelineError) return cause;
  return undefined;
}

/**
 * A job whose pipeline file cannot be loaded: a configuration error, as a run failed for its configuration
 * (failedForItsConfiguration) is. Nothing ran (no run is recorded); the job completes, its output saying why
 * (`runId` null, status `failed`, `"retried": false`), and the operators are told once (`run-failed`), instead of
 * attempts that each read the same file and a dead letter.
 */
async function pipelineNotLoaded(
  job: PipelineRunJob,
  refused: PipelineError,
  context: JobContext,
): Promise<Record<string, unknown>> {
  // Named as `pipelines list` names it (`…~1`): its backfill hint can be typed back once the file is corrected.
  const shown = (await namesNow(context))(job.pipeline);
  const why = `pipeline ${shown} cannot be loaded (its file deleted, invalid, or refused by the catalog or the provider registry): nothing was run, and trying again cannot fix it until the file is corrected`;
  context.logger.error(`job ${context.job.id}: ${why}: ${refused.message}`, { pipeline: shown });
  await context.alerts?.alert(
    pipelineNotLoadedEvent({
      id: context.job.id,
      queue: context.job.queue,
      pipeline: job.pipeline,
      shown,
      partition: job.partition,
      problems: refused.message.split('\n'),
    }),
  );
  return {
    runId: null,
    status: 'failed',
    error: `pipeline ${shown} not loaded: ${refused.message}`,
    retried: false,
    why,
  };
}

/**
 * To the operators a queued run whose pipeline cannot be loaded is a failed run of the pipeline (its repeat key);
 * its text names the pipeline as `shown` (as `pipelines list` does).
 */
export function pipelineNotLoadedEvent(job: {
  id: string;
  queue: string;
  pipeline: string;
  shown?: string | undefined;
  partition: string;
  problems: readonly string[];
}): AlertEvent {
  const { id, queue, pipeline, partition } = job;
  const shown = job.shown ?? pipeline;
  return {
    kind: 'run-failed',
    key: `run-failed:${pipeline}`,
    title: `管道 ${shown} 的定义文件无法加载，本次未运行`,
    lines: [
      `数据日期：${partition}`,
      ...job.problems.map((problem) => `原因：${problem}`),
      `任务 ${id}（队列 ${queue}）不再重试：管道文件改正前，重试同样失败`,
      `改正管道文件（credit-etl pipelines validate）后补跑：credit-etl backfill ${shown} --from ${partition} --to ${partition} --enqueue`,
      `详情：credit-etl jobs show ${id}`,
    ],
    at: new Date(),
  };
}

/**
 * The sink, with `run-failed` held back before the last attempt (an attempt the queue retries is not a run that
 * failed after its retries): `release` sends what was held, when the job completes on a failed run anyway.
 */
function holdingRunFailed(
  alerts: AlertSink,
  lastAttempt: boolean,
): { sink: AlertSink; release(): Promise<void> } {
  const heldBack: Parameters<AlertSink['alert']>[0][] = [];
  return {
    sink: {
      alert: (event) => {
        if (lastAttempt || event.kind !== 'run-failed') return alerts.alert(event);
        heldBack.push(event);
        return Promise.resolve();
      },
    },
    async release() {
      for (const event of heldBack.splice(0)) await alerts.alert(event);
    },
  };
}

/**
 * A failed run whose every failure is its files' own defect: each failed file's error code is of scope `file`
 * (src/report/error-codes.json: the provider sends the file again), and every file was settled (moved aside). A
 * run failed by the platform (a fault, a file it could not move, a code of scope `platform`, none) is not.
 */
export function failedForTheFilesOnly(summary: RunSummary): boolean {
  if ((summary.unsettled?.length ?? 0) > 0) return false;
  const failed = summary.files.filter(
    (file) => file.status === 'failed' || file.status === 'failed-threshold',
  );
  return (
    failed.length > 0 &&
    failed.every((file) => file.error !== undefined && describeErrorCode(file.error.code)?.scope === 'file')
  );
}

/**
 * A run that failed as a whole for no fault of the infrastructure: its own error (RunSummary.error) is a
 * configuration error (`drop-directory-missing`, `catalog`, a permission: `EACCES`) or a defect, which the docs
 * never retry (docs/operating.md: "Other errors (bad configuration, a bug) are not retried"), and it left no file
 * unsettled. Infrastructure faults (database, network, a remote server) are retried.
 */
export function failedForItsConfiguration(summary: RunSummary): boolean {
  if ((summary.unsettled?.length ?? 0) > 0) return false;
  return summary.error !== undefined && !summary.error.infrastructure;
}

/** How long a job whose pipeline is locked waits before it looks again: the pipeline's backoff, 5 s to 60 s. */
export const LOCKED_WAIT_SECONDS = { min: 5, max: 60 } as const;

/**
 * Why a job of a locked pipeline waits. The queue counts no attempt for it: pg-boss counts one when the job is
 * fetched again, and putting it back sets that count back (deferActiveJob). Locked from the start, no run was
 * started. Locked after the job's run lost its database session and another process took the lock meanwhile, the
 * runs it made stay stored `failed` with the job's id and what they loaded (the ledger skips those files next time):
 * said, so that `jobs show` does not contradict `runs show`.
 */
export function lockedJobWaits(pipeline: string, waitSeconds: number, meanwhile?: LockedMeanwhile): string {
  const again = `tried again in ${waitSeconds} s, no attempt counted`;
  if (!meanwhile)
    return `waits for pipeline ${pipeline}'s lock (a run of it is going on in another process): ${again}`;
  const { runs } = meanwhile;
  const done =
    runs === undefined
      ? `what its runs had loaded could not be read (runs list --pipeline ${pipeline})`
      : runs.length === 0
        ? 'it had started no run'
        : runs
            .map(
              (run) =>
                `run ${run.id}, stored ${run.status}, loaded ${run.loadedFiles === 1 ? '1 file' : `${run.loadedFiles} files`}`,
            )
            .join('; ');
  return (
    `waits for pipeline ${pipeline}'s lock, which another process took after this job's database session was lost ` +
    `(${done}): ${again} (its runs stay as stored; the next attempt loads what they left)`
  );
}

export function lockedWaitSeconds(backoffSeconds: number): number {
  return Math.min(LOCKED_WAIT_SECONDS.max, Math.max(LOCKED_WAIT_SECONDS.min, Math.round(backoffSeconds)));
}
