import type { PipelineDefinition } from '../pipelines/pipeline-definition.ts';
import { enqueuePipelineRun, type PipelineRunRequest } from '../queue/enqueue-pipeline-run.ts';
import { openQueue } from '../queue/open-queue.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { warehouseUrl } from '../warehouse/connect-warehouse.ts';
import { commandContext } from './command-context.ts';
import { EXIT } from './exit-codes.ts';
import { formatTable } from './format-table.ts';
import { pipelineNamed } from './pipeline-context.ts';
import { loadedPipelineNamesShown } from './pipeline-names-shown.ts';
import { type ThresholdFlags, thresholdsFrom } from './threshold-options.ts';
import { withWarehouse } from './with-warehouse.ts';

/** One job to queue: a run of the pipeline (manual: now; backfill: that day). */
export type QueuedRunRequest = Omit<PipelineRunRequest, 'thresholds'>;

/**
 * `run --enqueue`, `backfill --enqueue`: queue the runs for workers instead of running them here, print each
 * job (new, or the one already pending for that pipeline and day) and exit 0. Thresholds given on the command
 * line travel with the job; without them the pipeline's own apply when it runs.
 */
export async function enqueueRuns(
  name: string,
  flags: ThresholdFlags & { json?: boolean },
  plan: (warehouse: Warehouse, pipeline: PipelineDefinition) => Promise<QueuedRunRequest[]>,
): Promise<number> {
  const { config, logger } = commandContext();
  const pipeline = await pipelineNamed(name);
  const given = flags.maxRejectRate !== undefined || flags.maxRejected !== undefined;
  const thresholds = given ? thresholdsFrom(flags, pipeline.thresholds) : undefined;
  return withWarehouse(config, logger, async (warehouse) => {
    const requests = await plan(warehouse, pipeline);
    const queue = await openQueue(warehouseUrl(warehouse), { logger, maintain: false });
    try {
      const jobs = [];
      for (const request of requests) {
        const job = await enqueuePipelineRun(queue, pipeline, {
          ...request,
          ...(thresholds ? { thresholds } : {}),
        });
        jobs.push({ jobId: job.id, partition: job.partition, created: job.created });
      }
      if (flags.json) console.log(JSON.stringify(jobs));
      // Named as `pipelines list` names it (`…~1`), to be told from a pipeline whose name masks alike.
      else if (jobs.length === 0)
        console.log(`nothing to queue for pipeline ${(await loadedPipelineNamesShown())(pipeline.name)}`);
      else
        console.log(
          formatTable(
            ['partition', 'job', 'queued'],
            jobs.map((job) => [job.partition, job.jobId, job.created ? 'new' : 'already queued or running']),
          ),
        );
      return EXIT.ok;
    } finally {
      await queue.stop();
    }
  });
}
