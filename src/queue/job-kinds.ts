import type { JobData } from './job-queue.ts';

/**
 * Every kind of job, its data, and the queue it goes to unless routed elsewhere. Listed by hand: a worker
 * refuses a job of a kind it does not know (it fails, with the reason, and dead-letters after its attempts).
 */
export const JOB_KINDS = ['pipeline-run', 'stage-chunks'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** The queues every worker works by default, and where failed jobs end up. */
export const QUEUES = {
  /** Pipeline runs of pipelines without a `queue` of their own. */
  pipelines: 'pipelines',
  /** Help with a big file's chunks (stage-chunks): short jobs any worker can take between runs. */
  chunks: 'chunks',
  /** A copy of every job that failed its last attempt, with its error (`jobs list --queue dead-letter`). */
  deadLetter: 'dead-letter',
} as const;

/** The queue a kind's jobs go to by default. */
export const DEFAULT_QUEUE: Readonly<Record<JobKind, string>> = {
  'pipeline-run': QUEUES.pipelines,
  'stage-chunks': QUEUES.chunks,
};

/** Higher runs first among a queue's waiting jobs: the nightly load before a manual run before a backfill. */
export const JOB_PRIORITY = {
  scheduled: 20,
  manual: 10,
  backfill: 0,
} as const;

/** One run of a pipeline (`schedule`, `run --enqueue`, `backfill --enqueue`). */
export interface PipelineRunJob extends JobData {
  kind: 'pipeline-run';
  pipeline: string;
  /** `pipeline` for scheduled and manual runs, `backfill` for a backfill day. */
  runKind: 'pipeline' | 'backfill';
  /** The partition day (YYYY-MM-DD): one job per pipeline and day. */
  partition: string;
  /** A scheduled or manual run: when it was triggered (ISO), from which its partition day counts. */
  triggeredAt?: string;
  /** Thresholds given on the command line (`--max-reject-rate`, `--max-rejected`); none: the pipeline's. */
  thresholds?: { maxRejectRate: number; maxRejected: number | null };
}

/** Help stage the chunks of a big file another worker is loading (src/run/load-in-chunks.ts). */
export interface StageChunksJob extends JobData {
  kind: 'stage-chunks';
  /** chunked_loads.id */
  loadId: number;
}

/** The singleton key of a pipeline's run for one day: a second trigger while it is pending or running is not queued. */
export function pipelineRunKey(pipeline: string, partition: string): string {
  return `pipeline-run:${pipeline}:${partition}`;
}

export function isJobKind(kind: string): kind is JobKind {
  return (JOB_KINDS as readonly string[]).includes(kind);
}
