import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { TRANSPORTS } from '../../connectors/registry.ts';
import { createLogger } from '../../src/log/logger.ts';
import { loadPipelines } from '../../src/pipelines/load-pipelines.ts';
import type { PipelineDefinition } from '../../src/pipelines/pipeline-definition.ts';
import { QUEUES } from '../../src/queue/job-kinds.ts';
import type { JobQueue } from '../../src/queue/job-queue.ts';
import { openQueue } from '../../src/queue/open-queue.ts';
import type { WorkerOptions } from '../../src/queue/run-worker.ts';
import { type AlertReceiver, startAlertReceiver } from './alert-receivers.ts';
import { type RunningCli, startCli } from './run-cli.ts';
import { until } from './until.ts';
import { openWarehouseFixture, type WarehouseFixture } from './warehouse-fixture.ts';

/** A pgboss job as the queue tests read it. */
export interface QueuedJobRow {
  state: string;
  retry_count: number;
  output: Record<string, unknown> | null;
}

/** A pipeline of a queue test: its inbox is filled by `fill` (none: the inbox folder does not exist). */
export interface QueuePipelineSpec {
  name: string;
  attempts: number;
  fill?: (inbox: string) => void;
}

/** Drop-folder pipelines in a folder of their own, and the environment a worker process needs to run them. */
export interface QueuePipelines {
  env: NodeJS.ProcessEnv;
  dir: string;
  byName: Map<string, PipelineDefinition>;
  inbox(name: string): string;
}

/**
 * A warehouse with its queue, an alert receiver every worker posts to, and worker processes of the real CLI
 * (killed when the fixture closes): what the tests of queued runs, workers and dead letters share.
 */
export interface QueueFixture {
  fx: WarehouseFixture;
  queue: JobQueue;
  receiver: AlertReceiver;
  rows<T>(sql: string, bindings?: unknown[]): Promise<T[]>;
  job(id: string): Promise<QueuedJobRow | undefined>;
  /** Until the job is completed or failed. */
  untilEnded(id: string): Promise<QueuedJobRow>;
  pipelines(label: string, specs: QueuePipelineSpec[]): Promise<QueuePipelines>;
  startWorker(env: NodeJS.ProcessEnv): RunningCli;
  close(): Promise<void>;
}

/** What a test sets of an in-process worker: `backoffSeconds` replaces its pipelines' retry delay. */
export type InProcessWorkerOptions = Partial<Omit<WorkerOptions, 'pipeline'>> & {
  signal: AbortSignal;
  backoffSeconds?: number;
};

/**
 * The options of a worker run in the test's own process (runWorker) against the fixture: one slot on the pipelines
 * queue, no limits, the pipelines of `byName` (an unknown name throws), a silent logger; `options` for the rest.
 */
export function workerOptions(
  q: QueueFixture,
  byName: ReadonlyMap<string, PipelineDefinition>,
  { backoffSeconds, ...options }: InProcessWorkerOptions,
): WorkerOptions {
  return {
    queue: q.queue,
    warehouse: q.fx.warehouse,
    catalog: q.fx.catalog,
    logger: createLogger({ console: false }),
    stagingDir: q.fx.scratch,
    queues: [QUEUES.pipelines],
    concurrency: 1,
    limits: new Map(),
    pipeline: async (name) => {
      const pipeline = byName.get(name);
      if (!pipeline) throw new Error(`no pipeline ${name}`);
      return backoffSeconds === undefined
        ? pipeline
        : { ...pipeline, retry: { ...pipeline.retry, backoffSeconds } };
    },
    ...options,
  };
}

export async function openQueueFixture(name: string): Promise<QueueFixture> {
  const fx = await openWarehouseFixture(name);
  const queue = await openQueue(fx.url, { logger: createLogger({ console: false }), maintain: false });
  const receiver = await startAlertReceiver();
  const alertsFile = path.join(fx.scratch, 'alerts.json');
  writeFileSync(
    alertsFile,
    JSON.stringify({ suppressMinutes: 0, channels: [{ type: 'webhook', url: `${receiver.url}/hook` }] }),
  );
  const workers: RunningCli[] = [];
  const rows = async <T>(sql: string, bindings: unknown[] = []) =>
    (await fx.owner.raw<{ rows: T[] }>(sql, bindings as never)).rows;
  const job = async (id: string) =>
    (
      await rows<QueuedJobRow>(
        'SELECT state::text AS state, retry_count, output FROM pgboss.job WHERE id = ?',
        [id],
      )
    )[0];

  return {
    fx,
    queue,
    receiver,
    rows,
    job,
    untilEnded: (id) =>
      until('the job ended', async () => {
        const now = await job(id);
        return now?.state === 'completed' || now?.state === 'failed' ? now : undefined;
      }),
    async pipelines(label, specs) {
      const dir = path.join(fx.scratch, label, 'pipelines');
      mkdirSync(dir, { recursive: true });
      const inbox = (pipeline: string) => path.join(fx.scratch, label, 'inbox', pipeline);
      for (const spec of specs) {
        if (spec.fill) {
          mkdirSync(inbox(spec.name), { recursive: true });
          spec.fill(inbox(spec.name));
        }
        writeFileSync(
          path.join(dir, `${spec.name}.json`),
          JSON.stringify({
            catalog: 'xzcf',
            provider: '11370100MB28174284',
            level: 'city',
            transport: {
              type: 'drop-folder',
              directory: inbox(spec.name),
              markerSuffixes: [],
              stableSizeMs: 0,
            },
            retry: { attempts: spec.attempts, backoffSeconds: 0 },
          }),
        );
      }
      const loaded = await loadPipelines(dir, TRANSPORTS);
      expect(loaded.problems).toEqual([]);
      return {
        dir,
        inbox,
        byName: new Map(loaded.pipelines.map((pipeline) => [pipeline.name, pipeline])),
        env: {
          DATABASE_URL: fx.url,
          CREDIT_ETL_PIPELINES_DIR: dir,
          CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, label, 'staging'),
          CREDIT_ETL_LOG_FILE: path.join(fx.scratch, label, 'cli.log'),
          CREDIT_ETL_REPORT_DIR: fx.scratch,
          CREDIT_ETL_ALERTS_FILE: alertsFile,
        },
      };
    },
    startWorker(env) {
      const worker = startCli(['worker'], env);
      workers.push(worker);
      return worker;
    },
    async close() {
      for (const worker of workers) worker.child.kill('SIGKILL');
      await Promise.all(workers.map((worker) => worker.result));
      await queue.stop();
      await receiver.close();
      await fx.close();
    },
  };
}
