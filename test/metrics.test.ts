import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log/logger.ts';
import { metricsListenFrom } from '../src/metrics/metrics-listen.ts';
import { registerMetricsRoutes } from '../src/metrics/metrics-routes.ts';
import { type MetricsServer, startMetricsServer } from '../src/metrics/metrics-server.ts';
import { loadPipelines } from '../src/pipelines/load-pipelines.ts';
import { runPipeline } from '../src/pipelines/run-pipeline.ts';
import { connectWarehouse } from '../src/warehouse/connect-warehouse.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { partitionFolderTransport } from './support/partition-folder-transport.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/** One sample of the Prometheus text format: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The exposition format 0.0.4, parsed strictly enough to fail on a malformed line. */
function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g))
      labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

const find = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter(
    (sample) =>
      sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );

describe('/metrics and /healthz over real HTTP after a real ingest (PostgreSQL, pg-boss)', () => {
  let fx: WarehouseFixture;
  let server: MetricsServer;
  const logger = createLogger({ console: false });

  beforeAll(async () => {
    fx = await openWarehouseFixture('metrics');
    const transports = { 'partition-folder': partitionFolderTransport({ settled: [], polls: 0 }) };
    const inbox = path.join(fx.scratch, 'inbox');
    mkdirSync(path.join(inbox, '2026-10-01'), { recursive: true });
    mkdirSync(path.join(fx.scratch, 'pipelines'));
    writeFileSync(
      path.join(fx.scratch, 'pipelines', 'jinan-xzcf.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '113701000000000000',
        level: 'city',
        transport: { type: 'partition-folder', dir: inbox },
        thresholds: { maxRejectRate: 0.5 },
      }),
    );
    const [pipeline] = (await loadPipelines(path.join(fx.scratch, 'pipelines'), transports)).pipelines;
    // 30 rows, 3 of them invalid: 27 inserted, 3 rejected.
    writePenaltyCsv(path.join(inbox, '2026-10-01'), 'a.csv', 30, { seed: 1, badShare: 0.1 });
    const result = await runPipeline(
      fx.warehouse,
      fx.catalog,
      pipeline!,
      { transports, stagingDir: fx.scratch, partition: '2026-10-01' },
      logger,
    );
    expect(result.status === 'ran' && result.summary.status).toBe('completed');
    server = await startMetricsServer(
      { host: '127.0.0.1', port: 0 },
      { warehouse: fx.warehouse, component: 'schedule' },
      logger,
    );
  });
  afterAll(async () => {
    await server?.close();
    await fx?.close();
  });

  it('serves rows by outcome, runs by status, durations and the last success per pipeline', async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheus(await response.text());
    const [run] = await fx
      .warehouse('runs')
      .where({ pipeline: 'jinan-xzcf' })
      .select('counts', 'finished_at');
    const counts = run!.counts as Record<string, number>;
    expect(counts.rejected).toBeGreaterThan(0);
    expect(find(samples, 'credit_etl_warehouse_up')[0]?.value).toBe(1);
    expect(find(samples, 'credit_etl_rows', { outcome: 'inserted' })[0]?.value).toBe(counts.inserted);
    expect(find(samples, 'credit_etl_rows', { outcome: 'rejected' })[0]?.value).toBe(counts.rejected);
    expect(find(samples, 'credit_etl_runs', { kind: 'pipeline', status: 'completed' })[0]?.value).toBe(1);
    expect(
      find(samples, 'credit_etl_pipeline_last_success_timestamp_seconds', { pipeline: 'jinan-xzcf' })[0]
        ?.value,
    ).toBeCloseTo((run!.finished_at as Date).getTime() / 1000, 2);
    expect(
      find(samples, 'credit_etl_pipeline_last_run_duration_seconds', {
        pipeline: 'jinan-xzcf',
        status: 'completed',
      })[0]?.value,
    ).toBeGreaterThan(0);
    // This process's own run, counted once however often it is scraped.
    expect(
      find(samples, 'credit_etl_process_runs_total', { kind: 'pipeline', status: 'completed' })[0]?.value,
    ).toBe(1);
    expect(find(samples, 'credit_etl_run_duration_seconds_count', { kind: 'pipeline' })[0]?.value).toBe(1);
    expect(find(samples, 'credit_etl_queue_depth')).toEqual([]);
    expect(samples.every((sample) => sample.labels.component === 'schedule')).toBe(true);
    const again = parsePrometheus(await (await fetch(`${server.url}/metrics`)).text());
    expect(
      find(again, 'credit_etl_process_runs_total', { kind: 'pipeline', status: 'completed' })[0]?.value,
    ).toBe(1);
  });

  it("reads the queue depth from pg-boss's own tables", async () => {
    const { default: PgBoss } = await import('pg-boss');
    const boss = new PgBoss({ connectionString: fx.url, max: 2 });
    boss.on('error', () => undefined);
    await boss.start();
    try {
      await boss.createQueue('ingest-unit');
      await boss.send('ingest-unit', { file: 'a.csv' });
      await boss.send('ingest-unit', { file: 'b.csv' });
      // What the queue's migration grants the engine's role.
      await fx.owner.raw('GRANT USAGE ON SCHEMA pgboss TO credit_etl_loader');
      await fx.owner.raw('GRANT SELECT ON ALL TABLES IN SCHEMA pgboss TO credit_etl_loader');
      const samples = parsePrometheus(await (await fetch(`${server.url}/metrics`)).text());
      expect(
        find(samples, 'credit_etl_queue_depth', { queue: 'ingest-unit', state: 'created' })[0]?.value,
      ).toBe(2);
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }
  });

  it('/healthz says the database is up, and 503 when it is not', async () => {
    const up = await fetch(`${server.url}/healthz`);
    expect(up.status).toBe(200);
    expect(await up.json()).toMatchObject({ status: 'ok', component: 'schedule', database: 'up' });

    const unreachable = connectWarehouse('postgres://postgres@127.0.0.1:9/none', { poolSize: 1 });
    const down = await startMetricsServer(
      { host: '127.0.0.1', port: 0 },
      { warehouse: unreachable, component: 'worker' },
      logger,
    );
    try {
      const health = await fetch(`${down.url}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({
        status: 'unavailable',
        component: 'worker',
        database: 'down',
      });
      const samples = parsePrometheus(await (await fetch(`${down.url}/metrics`)).text());
      expect(find(samples, 'credit_etl_warehouse_up')[0]?.value).toBe(0);
      expect(find(samples, 'credit_etl_rows')).toEqual([]);
      expect((await fetch(`${down.url}/other`)).status).toBe(404);
    } finally {
      await down.close();
      await unreachable.destroy();
    }
  });

  it('adds the same two routes to a Fastify app (the console)', async () => {
    const { default: Fastify } = await import('fastify');
    const app = Fastify();
    await registerMetricsRoutes(app, { warehouse: fx.warehouse, component: 'serve' });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const samples = parsePrometheus(await (await fetch(`${address}/metrics`)).text());
      expect(
        find(samples, 'credit_etl_runs', { kind: 'pipeline', status: 'completed', component: 'serve' })[0]
          ?.value,
      ).toBe(1);
      expect(await (await fetch(`${address}/healthz`)).json()).toMatchObject({
        database: 'up',
        component: 'serve',
      });
    } finally {
      await app.close();
    }
  });

  it('is off unless CREDIT_ETL_METRICS_PORT is set, on loopback by default', () => {
    expect(metricsListenFrom({})).toBeUndefined();
    expect(metricsListenFrom({ CREDIT_ETL_METRICS_PORT: 'off' })).toBeUndefined();
    expect(metricsListenFrom({ CREDIT_ETL_METRICS_PORT: '9464' })).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(() => metricsListenFrom({ CREDIT_ETL_METRICS_PORT: 'nine' })).toThrow(/is not a port/);
  });
});
