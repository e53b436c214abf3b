import type { ChunkHelpers } from '../run/chunk-settings.ts';
import { helpWithChunks } from '../run/help-with-chunks.ts';
import type { JobContext } from './job-handlers.ts';
import { JOB_PRIORITY, type StageChunksJob } from './job-kinds.ts';
import type { JobData, JobQueue } from './job-queue.ts';

/**
 * Helps with a big file's chunks: stages pending chunks of the load until none is left to claim, then completes.
 * A load already merged (or given up) has none: the job completes at once. A worker killed midway loses nothing:
 * its chunk's transaction rolls back and the chunk is claimed again, by the coordinator if no one else.
 */
export async function stageChunksJob(data: JobData, context: JobContext): Promise<Record<string, unknown>> {
  const job = data as StageChunksJob;
  const staged = await helpWithChunks(context.warehouse, {
    loadId: job.loadId,
    worker: `worker ${process.pid} job ${context.job.id}`,
  });
  return { loadId: job.loadId, staged };
}

/** Most helpers asked for one file: beyond this many workers, a chunk's hand-over costs more than it saves. */
const MAX_HELPERS = 16;

/**
 * Help for a big file, as the queue gives it: one `stage-chunks` job per helper wanted (each stages chunks until
 * none is left), in the `chunks` queue every worker works. Short jobs: a worker that takes one late finds the load
 * done and completes at once.
 */
export function chunkHelpersOf(queue: JobQueue): ChunkHelpers {
  return {
    async request(loadId, helpers) {
      for (let i = 0; i < Math.min(helpers, MAX_HELPERS); i++) {
        await queue.enqueue({ kind: 'stage-chunks', loadId } satisfies StageChunksJob, {
          priority: JOB_PRIORITY.scheduled,
          retryLimit: 1,
          expireInSeconds: 3600,
        });
      }
    },
  };
}
