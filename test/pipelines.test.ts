import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log/logger.ts';
import { loadPipelines, type TransportRegistry } from '../src/pipelines/load-pipelines.ts';
import type { PipelineDefinition } from '../src/pipelines/pipeline-definition.ts';
import { runBackfill } from '../src/pipelines/run-backfill.ts';
import { runPipeline } from '../src/pipelines/run-pipeline.ts';
import { connectWarehouse } from '../src/warehouse/connect-warehouse.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { partitionFolderTransport, type TransportLog } from './support/partition-folder-transport.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

describe('pipelines over a partitioned folder transport (real PostgreSQL)', () => {
  let fx: WarehouseFixture;
  let pipeline: PipelineDefinition;
  const log: TransportLog = { settled: [], polls: 0 };
  let gate: Promise<void> | undefined;
  let transports: TransportRegistry;
  const logger = createLogger({ console: false });
  const inbox = () => path.join(fx.scratch, 'inbox');
  const day = (date: string) => {
    mkdirSync(path.join(inbox(), date), { recursive: true });
    return path.join(inbox(), date);
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('pipelines');
    transports = { 'partition-folder': partitionFolderTransport(log, () => gate ?? Promise.resolve()) };
    const dir = path.join(fx.scratch, 'pipelines');
    mkdirSync(dir);
    const definition = {
      catalog: 'xzcf',
      provider: '113701000000000000',
      level: 'city',
      transport: { type: 'partition-folder', dir: inbox() },
      schedule: { cron: '0 30 1 * * *' },
      thresholds: { maxRejectRate: 0.5 },
      retry: { attempts: 2, backoffSeconds: 0 },
    };
    writeFileSync(path.join(dir, 'jinan-xzcf.json'), JSON.stringify(definition));
    writeFileSync(
      path.join(dir, 'broken.json'),
      JSON.stringify({ ...definition, level: 'town', transport: { type: 'partition-folder' }, extra: 1 }),
    );
    writeFileSync(
      path.join(dir, 'future.json'),
      JSON.stringify({ ...definition, transport: { type: 'drop-folder' } }),
    );
    const loaded = await loadPipelines(dir, transports);
    expect(loaded.pipelines.map((p) => p.name)).toEqual(['jinan-xzcf']);
    pipeline = loaded.pipelines[0]!;
    mkdirSync(inbox(), { recursive: true });
  });
  afterAll(async () => fx?.close());

  it('reports every problem of a pipeline file with the file and the field path', async () => {
    const loaded = await loadPipelines(path.join(fx.scratch, 'pipelines'), transports);
    const problems = loaded.problems.map((p) => [path.basename(p.file), p.path]);
    expect(problems).toEqual([
      ['broken.json', '/extra'],
      ['broken.json', '/level'],
      ['broken.json', '/transport/dir'],
      ['future.json', '/transport/type'],
    ]);
    expect(loaded.problems.at(-1)?.message).toContain('"drop-folder" is not registered');
    expect(pipeline).toMatchObject({
      thresholds: { maxRejectRate: 0.5, maxRejected: null },
      encoding: 'auto',
    });
  });

  it('a run loads the complete units, settles each, and a second run finds nothing new', async () => {
    writePenaltyCsv(day('2026-10-01'), 'a.csv', 30, { seed: 1 });
    const first = await runPipeline(
      fx.warehouse,
      fx.catalog,
      pipeline,
      { transports, stagingDir: fx.scratch },
      logger,
    );
    expect(first.status === 'ran' && first.summary).toMatchObject({
      status: 'completed',
      counts: { read: 30 },
    });
    expect(log.settled).toEqual([['a.csv', 'loaded']]);
    const second = await runPipeline(
      fx.warehouse,
      fx.catalog,
      pipeline,
      { transports, stagingDir: fx.scratch },
      logger,
    );
    expect(second.status === 'ran' && second.summary.files).toEqual([]);
  });

  it('two schedulers on two connections never run the same pipeline at once', async () => {
    const other = connectWarehouse(fx.url);
    let release = () => {};
    gate = new Promise((resolve) => {
      release = resolve;
    });
    const polled = log.polls;
    const holder = runPipeline(
      fx.warehouse,
      fx.catalog,
      pipeline,
      { transports, stagingDir: fx.scratch },
      logger,
    );
    while (log.polls === polled) await new Promise((resolve) => setImmediate(resolve));
    const contender = await runPipeline(
      other,
      fx.catalog,
      pipeline,
      { transports, stagingDir: fx.scratch },
      logger,
    );
    expect(contender.status).toBe('locked');
    release();
    gate = undefined;
    expect((await holder).status).toBe('ran');
    // Once the first has finished, the lock is free again.
    expect(
      (await runPipeline(other, fx.catalog, pipeline, { transports, stagingDir: fx.scratch }, logger)).status,
    ).toBe('ran');
    await other.destroy();
  });

  it('backfills a range one run per day, and re-runs it in each reprocess mode', async () => {
    const backfill = (reprocess: 'none' | 'failed' | 'all', extra: { dryRun?: boolean } = {}) =>
      runBackfill(
        fx.warehouse,
        fx.catalog,
        pipeline,
        { from: '2026-10-02', to: '2026-10-04', reprocess, transports, stagingDir: fx.scratch, ...extra },
        logger,
      );
    writePenaltyCsv(day('2026-10-02'), 'b.csv', 20, { seed: 2 });
    writeFileSync(path.join(day('2026-10-03'), 'c.csv'), '甲,乙\n1,2\n'); // wrong header: the day fails
    writePenaltyCsv(day('2026-10-04'), 'd.csv', 20, { seed: 4 });

    const dry = await backfill('none', { dryRun: true });
    expect(dry.map((d) => [d.date, d.action])).toEqual([
      ['2026-10-02', 'run'],
      ['2026-10-03', 'run'],
      ['2026-10-04', 'run'],
    ]);
    expect(await fx.warehouse('runs').where({ kind: 'backfill' }).count('* as n').first()).toEqual({ n: 0 });

    const first = await backfill('none');
    expect(first.map((d) => [d.date, d.summary?.status])).toEqual([
      ['2026-10-02', 'completed'],
      ['2026-10-03', 'failed'],
      ['2026-10-04', 'completed'],
    ]);
    const partitions = await fx
      .warehouse('runs')
      .where({ kind: 'backfill' })
      .orderBy('id')
      .select('partition_date', 'kind');
    expect(partitions).toEqual([
      { partition_date: '2026-10-02', kind: 'backfill' },
      { partition_date: '2026-10-03', kind: 'backfill' },
      { partition_date: '2026-10-04', kind: 'backfill' },
    ]);

    // none: nothing to redo, every day has a finished run.
    expect((await backfill('none')).map((d) => d.action)).toEqual(['skip', 'skip', 'skip']);

    // failed: the provider fixed the file of 10-03; only that day runs again.
    writePenaltyCsv(day('2026-10-03'), 'c.csv', 20, { seed: 3 });
    const redo = await backfill('failed');
    expect(redo.map((d) => [d.date, d.action, d.summary?.status])).toEqual([
      ['2026-10-02', 'skip', undefined],
      ['2026-10-03', 'run', 'completed'],
      ['2026-10-04', 'skip', undefined],
    ]);
    expect(redo[1]?.summary?.counts.read).toBe(20);

    // all: every day runs again. The files left in their folders are the deliveries loaded before, seen again
    // (same name, same received time): the ledger skips them, so nothing changes in the warehouse. 10-03's is the
    // channel's latest load: the transport's check passes it over before it is a unit at all.
    const versions = await fx.warehouse('record_versions').count('* as n').first();
    const again = await backfill('all');
    expect(again.map((d) => [d.action, d.summary?.status, d.summary?.files.map((f) => f.status)])).toEqual([
      ['run', 'completed', ['skipped']],
      ['run', 'completed', []],
      ['run', 'completed', ['skipped']],
    ]);
    expect(await fx.warehouse('record_versions').count('* as n').first()).toEqual(versions);
  });

  it('a file over the pipeline threshold is held back and settled as failed', async () => {
    writePenaltyCsv(day('2026-10-05'), 'e.csv', 20, { seed: 5, badShare: 1 });
    const result = await runPipeline(
      fx.warehouse,
      fx.catalog,
      pipeline,
      { transports, stagingDir: fx.scratch, partition: '2026-10-05' },
      logger,
    );
    expect(result.status === 'ran' && result.summary.status).toBe('failed-threshold');
    expect(log.settled.at(-1)).toEqual(['e.csv', 'failed']);
  });
});
