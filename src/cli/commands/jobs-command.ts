import type { Command } from 'commander';
import { shanghaiTime } from '../../../connectors/shanghai-time.ts';
import { maskPersonalText } from '../../log/mask-personal-data.ts';
import { pipelineRunKey } from '../../queue/job-kinds.ts';
import { JOB_STATES, type JobState } from '../../queue/job-queue.ts';
import { openQueue } from '../../queue/open-queue.ts';
import { describe } from '../../queue/run-worker.ts';
import { warehouseUrl } from '../../warehouse/connect-warehouse.ts';
import {
  findJob,
  type JobRow,
  listJobs,
  QueueNotInstalled,
  withQueueClient,
} from '../../warehouse/queue-jobs-repository.ts';
import { runsOfJob } from '../../warehouse/runs-repository.ts';
import { commandContext } from '../command-context.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { formatTable, maskedJson } from '../format-table.ts';
import { loadedPipelineNamesShown, type PipelineNameShown } from '../pipeline-names-shown.ts';
import { withWarehouse } from '../with-warehouse.ts';

/*
 * JOB_TABLE_MASKING: `jobs list` and `jobs show` mask what may name a person (a pipeline named for a drop folder, a
 * host), each cell on its own, never a laid-out table or a job's id; `--json` and a job's data and output each
 * string value on its own (maskedJson), a UUID value shown. The masker reads digit groups parted by spaces,
 * dashes and line breaks as one spaced ID: a UUID (`abcde123-4567-0101-0010-…` holds `123456701010010`, a 15-digit
 * number born 1970-10-10), or a line's last time and the next line's UUID, came out with stars. A job's pipeline is
 * named as the console names it (jobsShown): two pipelines whose names mask alike are told apart (`…~1`, `…~2`).
 */

interface JobsListFlags {
  limit: string;
  state?: string;
  queue?: string;
  json?: boolean;
}

export function registerJobsCommand(program: Command): void {
  const jobs = program
    .command('jobs')
    .description('the job queue: queued, running, failed and dead-lettered jobs');
  jobs
    .command('list')
    .description('recent jobs, newest first')
    .option('--limit <n>', 'how many', '20')
    .option('--state <state>', `only jobs in this state: ${JOB_STATES.join(', ')}`)
    .option('--queue <name>', 'only jobs of this queue (dead-letter: jobs that failed their last attempt)')
    .option('--json', 'print JSON')
    .action(async (flags: JobsListFlags) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new UsageError(`--limit ${flags.limit} is not a positive integer`);
      const states = flags.state === undefined ? undefined : [stateOf(flags.state)];
      const { config, logger } = commandContext();
      await withWarehouse(config, logger, async (warehouse) => {
        // A warehouse that never ran a worker has no jobs: an empty list, not a failure.
        const found = await withQueueClient(warehouseUrl(warehouse), (client) =>
          listJobs(client, { limit, states, queue: flags.queue }),
        ).catch((error: unknown) => {
          if (!(error instanceof QueueNotInstalled)) throw error;
          if (!flags.json) console.error(`no jobs: ${error.message}`);
          return [];
        });
        const rows = await jobsShown(found);
        // Masked value by value (JOB_TABLE_MASKING), never the document.
        if (flags.json) {
          console.log(maskedJson(rows));
          return;
        }
        // Masked cell by cell (JOB_TABLE_MASKING), never the table.
        console.log(
          formatTable(
            ['job', 'queue', 'what', 'state', 'attempts', 'priority', 'created', 'finished'],
            rows.map((job) => [
              job.id,
              maskPersonalText(job.queue),
              maskPersonalText(describe(job.data)),
              stateWithRun(job),
              attemptsOf(job),
              job.priority,
              shanghaiTime(job.created_on),
              job.completed_on ? shanghaiTime(job.completed_on) : '',
            ]),
          ),
        );
      });
    });
  jobs
    .command('show')
    .description('one job: what it runs, its state and attempts, its output or error, and its runs')
    .argument('<id>', 'job id (credit-etl jobs list)')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { json?: boolean }) => {
      const { config, logger } = commandContext();
      process.exitCode = await withWarehouse(config, logger, async (warehouse) => {
        const found = await jobNamed(warehouseUrl(warehouse), id);
        if (!found) return EXIT.usage;
        const [job] = await jobsShown([found]);
        if (!job) return EXIT.usage;
        const runs = await runsOfJob(warehouse, job.id);
        if (flags.json) {
          console.log(maskedJson({ ...job, runs }));
          return EXIT.ok;
        }
        // The job's id is never masked: a UUID's digit groups can read as a spaced ID (JOB_TABLE_MASKING).
        console.log(`job ${job.id} (${maskPersonalText(describe(job.data))}) ${job.state}`);
        console.log(
          `queue ${maskPersonalText(job.queue)} · priority ${job.priority} · attempts ${attemptsOf(job)} · created ${shanghaiTime(job.created_on)}` +
            (job.started_on ? ` · started ${shanghaiTime(job.started_on)}` : '') +
            (job.completed_on ? ` · finished ${shanghaiTime(job.completed_on)}` : ''),
        );
        console.log(`data: ${maskedJson(job.data)}`);
        if (job.output)
          console.log(`${job.state === 'failed' ? 'error' : 'output'}: ${maskedJson(job.output)}`);
        console.log(
          runs.length === 0
            ? 'runs: none yet'
            : formatTable(
                ['run', 'status', 'started', 'host', 'pid'],
                runs.map((run) => [
                  run.id,
                  run.status,
                  shanghaiTime(run.started_at),
                  maskPersonalText(run.host ?? ''),
                  run.pid ?? '',
                ]),
              ),
        );
        return EXIT.ok;
      });
    });
  jobs
    .command('retry')
    .description('run a failed job once more (one attempt beyond its last), or a cancelled one again')
    .argument('<id>', 'job id')
    .action(async (id: string) => {
      process.exitCode = await changeJob(id, 'retry', ['failed', 'cancelled']);
    });
  jobs
    .command('cancel')
    .description('cancel a queued job; a running one stops after its current file')
    .argument('<id>', 'job id')
    .action(async (id: string) => {
      process.exitCode = await changeJob(id, 'cancel', ['created', 'retry', 'active']);
    });
}

/** `jobs retry|cancel`: only from the states it makes sense in; anything else says why and exits 2. */
async function changeJob(id: string, action: 'retry' | 'cancel', from: readonly JobState[]): Promise<number> {
  const { config, logger } = commandContext();
  return withWarehouse(config, logger, async (warehouse) => {
    const url = warehouseUrl(warehouse);
    const job = await jobNamed(url, id);
    if (!job) return EXIT.usage;
    if (!from.includes(job.state)) {
      console.error(`job ${job.id} is ${job.state}: ${action} applies to a job that is ${from.join(' or ')}`);
      return EXIT.usage;
    }
    const queue = await openQueue(url, { logger, maintain: false });
    try {
      await (action === 'retry' ? queue.retry(job.queue, job.id) : queue.cancel(job.queue, job.id));
    } finally {
      await queue.stop();
    }
    const after = await jobNamed(url, job.id);
    const [shown] = await jobsShown([job]);
    console.log(
      `job ${job.id} (${maskPersonalText(describe((shown ?? job).data))}): ${job.state} → ${after?.state ?? '?'}`,
    );
    return EXIT.ok;
  });
}

/**
 * The jobs with the pipeline each runs named as the console names it (loadedPipelineNamesShown), in its data and in
 * its singleton key (`pipeline-run:<name>:<day>`): still masked where printed, and two names masking alike told apart.
 */
async function jobsShown(jobs: readonly JobRow[]): Promise<JobRow[]> {
  const pipelines = jobs.flatMap((job) => (typeof job.data.pipeline === 'string' ? [job.data.pipeline] : []));
  if (pipelines.length === 0) return [...jobs];
  const shownOf = await loadedPipelineNamesShown(pipelines);
  return jobs.map((job) => jobShown(job, shownOf));
}

function jobShown(job: JobRow, shownOf: PipelineNameShown): JobRow {
  const { pipeline, partition } = job.data;
  if (typeof pipeline !== 'string') return job;
  const shown = shownOf(pipeline);
  const runKey = typeof partition === 'string' && job.singleton_key === pipelineRunKey(pipeline, partition);
  return {
    ...job,
    data: { ...job.data, pipeline: shown },
    singleton_key: runKey ? pipelineRunKey(shown, partition) : job.singleton_key,
  };
}

async function jobNamed(url: string, id: string): Promise<JobRow | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
    throw new UsageError(`job id ${id} is not a job id (a UUID): see \`credit-etl jobs list\``);
  const job = await withQueueClient(url, (client) => findJob(client, id)).catch((error: unknown) => {
    if (error instanceof QueueNotInstalled) return undefined;
    throw error;
  });
  if (!job) console.error(`job ${id} not found: see \`credit-etl jobs list\``);
  return job;
}

/**
 * The job's state, and its run's when they tell different stories: a job completes on purpose when its run
 * failed only by its files' own defects (no retry could help) or stopped at a reject threshold, and an operator
 * scanning the list must see that run failed: `completed (run failed)`.
 */
export function stateWithRun(job: Pick<JobRow, 'state' | 'output'>): string {
  const output = job.output as { runId?: unknown; status?: unknown } | null;
  const runStatus = output && typeof output === 'object' && 'runId' in output ? output.status : undefined;
  if (job.state !== 'completed' || typeof runStatus !== 'string' || runStatus === 'completed')
    return job.state;
  return `${job.state} (run ${runStatus})`;
}

/** Attempts so far of those allowed, e.g. `2/3`. */
function attemptsOf(job: JobRow): string {
  const made = job.started_on ? job.retry_count + 1 : job.retry_count;
  return `${made}/${job.retry_limit + 1}`;
}

function stateOf(state: string): JobState {
  const known = JOB_STATES.find((candidate) => candidate === state);
  if (!known)
    throw new UsageError(`--state ${state} is not a job state: use one of ${JOB_STATES.join(', ')}`);
  return known;
}
