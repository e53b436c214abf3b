import { distinctMaskedNames } from '../log/distinct-masked-names.ts';
import type { Logger } from '../log/logger.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import {
  pingWarehouse,
  pipelineRunTimes,
  queueDepth,
  rowsByOutcome,
  runsByStatus,
} from '../warehouse/metrics-repository.ts';
import type { MetricsDeps } from './metrics-deps.ts';
import { alertDeliveries, takeFinishedRuns } from './process-events.ts';

/** The text of one scrape, with its content type (Prometheus text format 0.0.4). */
export interface MetricsScrape {
  contentType: string;
  body: string;
}

/** `/healthz`: the process answers; `database` says whether the warehouse does. */
export interface Health {
  status: 'ok' | 'unavailable';
  component: string;
  /** Down: why goes to the log only (a driver's message names hosts, ports, database users). */
  database: 'up' | 'down';
  uptimeSeconds: number;
}

export interface MetricsRegistry {
  /** Reads the warehouse now and renders every metric; a database that does not answer gives `credit_etl_warehouse_up 0`. */
  scrape(): Promise<MetricsScrape>;
  health(): Promise<Health>;
}

/**
 * The metrics of one process. Gauges are computed from the warehouse at scrape time, so they are the same from
 * every process and survive restarts; counters and the duration histogram count what this process did since it
 * started. prom-client is imported here only, lazily by whoever serves `/metrics`.
 */
export async function createMetricsRegistry(deps: MetricsDeps, logger?: Logger): Promise<MetricsRegistry> {
  const { Counter, Gauge, Histogram, Registry } = await import('prom-client');
  const registry = new Registry();
  registry.setDefaultLabels({ component: deps.component });
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const up = gauge('credit_etl_warehouse_up', '1 when the warehouse answered this scrape, else 0');
  const rows = gauge('credit_etl_rows', 'rows read by all runs in the warehouse, by outcome', ['outcome']);
  const runs = gauge('credit_etl_runs', 'runs in the warehouse by kind and status', ['kind', 'status']);
  const lastDuration = gauge(
    'credit_etl_pipeline_last_run_duration_seconds',
    "the pipeline's last finished run: how long it took",
    ['pipeline', 'status'],
  );
  const lastSuccess = gauge(
    'credit_etl_pipeline_last_success_timestamp_seconds',
    "when the pipeline's last successful run finished (seconds since the epoch): completed, not a retry of a failed day that read no file",
    ['pipeline'],
  );
  const queued = gauge('credit_etl_queue_depth', "jobs in pg-boss's queues by queue and state", [
    'queue',
    'state',
  ]);
  const processRuns = new Counter({
    name: 'credit_etl_process_runs_total',
    help: 'runs this process finished since it started, by kind and status',
    labelNames: ['kind', 'status'],
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'credit_etl_run_duration_seconds',
    help: 'duration of the runs this process finished since it started',
    labelNames: ['kind'],
    buckets: [1, 5, 15, 60, 300, 900, 3600, 4 * 3600],
    registers: [registry],
  });
  const alerts = new Counter({
    name: 'credit_etl_alerts_total',
    help: 'alert deliveries by this process since it started, by channel and result',
    labelNames: ['channel', 'result'],
    registers: [registry],
  });
  const alertsCounted = new Map<string, number>();
  const started = Date.now();
  let queueWarned = false;

  const readWarehouse = async () => {
    const { warehouse } = deps;
    const [outcomes, statuses, times, depth] = await Promise.all([
      rowsByOutcome(warehouse),
      runsByStatus(warehouse),
      pipelineRunTimes(warehouse),
      // The queue's tables belong to pg-boss: one it cannot read (no grant yet) costs the queue samples only.
      // Said once, not at every scrape: the fix is a GRANT (docs/alerts-and-metrics.md#metrics).
      queueDepth(warehouse, deps.queueSchema).catch((error: unknown) => {
        if (!queueWarned)
          logger?.warn(
            `metrics: queue depth not read (no queue samples): ${(error as Error).message}; grant the engine's role SELECT on pgboss.job`,
          );
        queueWarned = true;
        return [];
      }),
    ]);
    for (const metric of [rows, runs, lastDuration, lastSuccess, queued]) metric.reset();
    for (const [outcome, count] of Object.entries(outcomes)) rows.set({ outcome }, count);
    for (const row of statuses) runs.set({ kind: row.kind, status: row.status }, row.runs);
    // A pipeline named for a drop folder may hold an ID number: masked as `pipelines list` and `jobs` print it
    // (/metrics needs no session), a name without one as it is. Two names masking alike get `~1`, `~2`: one label
    // value each, else a gauge's second `set` would overwrite the first pipeline's sample.
    const labels = distinctMaskedNames(times.map((time) => time.pipeline));
    for (const time of times) {
      const pipeline = labels.get(time.pipeline) ?? maskPersonalText(time.pipeline);
      lastDuration.set({ pipeline, status: time.lastStatus }, time.lastDurationSeconds);
      if (time.lastSuccessAt !== undefined) lastSuccess.set({ pipeline }, time.lastSuccessAt);
    }
    for (const row of depth) queued.set({ queue: row.queue, state: row.state }, row.jobs);
  };

  return {
    async scrape() {
      try {
        await readWarehouse();
        up.set(1);
      } catch (error) {
        // The last values would be stale: a scrape without the database says so and shows none of them.
        for (const metric of [rows, runs, lastDuration, lastSuccess, queued]) metric.reset();
        up.set(0);
        logger?.warn(`metrics: the warehouse did not answer: ${(error as Error).message}`);
      }
      for (const run of takeFinishedRuns()) {
        processRuns.inc({ kind: run.kind, status: run.status });
        durations.observe({ kind: run.kind }, run.seconds);
      }
      for (const [channel, result, count] of alertDeliveries()) {
        const key = `${channel} ${result}`;
        alerts.inc({ channel, result }, count - (alertsCounted.get(key) ?? 0));
        alertsCounted.set(key, count);
      }
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    async health() {
      const uptimeSeconds = Math.round((Date.now() - started) / 1000);
      try {
        await pingWarehouse(deps.warehouse);
        return { status: 'ok', component: deps.component, database: 'up', uptimeSeconds };
      } catch (error) {
        logger?.warn(`metrics: /healthz: the warehouse did not answer: ${(error as Error).message}`);
        return { status: 'unavailable', component: deps.component, database: 'down', uptimeSeconds };
      }
    },
  };
}
