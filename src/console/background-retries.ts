import { listingPipelineNames } from '../pipelines/pipeline-names-shown.ts';
import { runPipeline } from '../pipelines/run-pipeline.ts';
import type { ConsoleDeps } from './console-deps.ts';

/**
 * Retrying a run from the console. There is no job queue in this process yet, so a retry runs here, in the
 * background of the console process (the same runPipeline as `credit-etl run`/`backfill`, with the pipeline's
 * lock: a run already under way elsewhere makes it `locked`, nothing done). Its state is kept in memory for the
 * run's page; the new run itself is in the warehouse like any other. When the console stops, a retry under way
 * finishes its current file (the abort signal), as `schedule` does.
 */
export type RetryState =
  | { state: 'running'; startedAt: Date; by: string }
  | { state: 'done'; newRunId: number; by: string }
  | { state: 'locked'; by: string }
  | { state: 'failed'; message: string; by: string };

const retries = new Map<number, RetryState>();

export const retryOf = (runId: number): RetryState | undefined => retries.get(runId);

/** Starts the retry of a pipeline run's partition day; false when one for this run is already under way. */
export function startRetry(
  deps: ConsoleDeps,
  run: { id: number; pipeline: string; partitionDate: string; kind: 'pipeline' | 'backfill' },
  by: string,
  signal?: AbortSignal,
): Promise<boolean> {
  if (retries.get(run.id)?.state === 'running') return Promise.resolve(false);
  retries.set(run.id, { state: 'running', startedAt: new Date(), by });
  const work = (async () => {
    const loaded = await deps.loadPipelines();
    const pipeline = loaded.pipelines.find((candidate) => candidate.name === run.pipeline);
    // Named as the run's page, /pipelines and the CLI name it (two names masking alike told apart: `…~1`).
    const shown = (
      await listingPipelineNames(
        loaded.pipelines.map((candidate) => candidate.name),
        deps.warehouse,
        { soon: true },
      )
    )(run.pipeline);
    if (!pipeline) throw new Error(`管道 ${shown} 的定义文件已不存在或无法加载`);
    deps.logger.info(`console: ${by} retries run ${run.id} (${shown} ${run.partitionDate})`);
    return runPipeline(
      deps.warehouse,
      deps.catalog,
      pipeline,
      {
        kind: run.kind,
        partition: run.partitionDate,
        stagingDir: deps.stagingDir,
        transports: deps.transports,
        ...(signal ? { signal } : {}),
      },
      deps.logger.child({ retryOf: run.id }),
    );
  })();
  background.add(work);
  work
    .then(
      (result) =>
        retries.set(
          run.id,
          result.status === 'locked'
            ? { state: 'locked', by }
            : { state: 'done', newRunId: result.summary.runId, by },
        ),
      (error: unknown) => {
        deps.logger.error(`console: retry of run ${run.id} failed: ${(error as Error).message}`);
        retries.set(run.id, { state: 'failed', message: (error as Error).message, by });
      },
    )
    .finally(() => background.delete(work));
  return Promise.resolve(true);
}

const background = new Set<Promise<unknown>>();

/** Waits for the retries under way (the console closes its warehouse only after them). */
export async function settleRetries(): Promise<void> {
  await Promise.allSettled([...background]);
}
