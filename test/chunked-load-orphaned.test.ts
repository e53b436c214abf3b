import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log/logger.ts';
import type { JobQueue } from '../src/queue/job-queue.ts';
import { openQueue } from '../src/queue/open-queue.ts';
import { runWorker } from '../src/queue/run-worker.ts';
import { chunkedLoadToHelp, createChunkedLoad } from '../src/warehouse/chunked-loads-repository.ts';
import { interruptRuns, startRun } from '../src/warehouse/runs-repository.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// A chunked load whose coordinator was killed: once its run is ended (a worker's sweep marks it interrupted),
// helpers stop staging its chunks and the next sweep drops its shared staging table, without waiting for a later
// chunked load to find it stale.
describe('the chunked load of an ended run is abandoned by the worker sweep (real PostgreSQL)', {
  timeout: 60_000,
}, () => {
  let fx: WarehouseFixture;
  let queue: JobQueue;

  beforeAll(async () => {
    fx = await openWarehouseFixture('chunked_orphan');
    queue = await openQueue(fx.url, { logger: createLogger({ console: false }), maintain: false });
  });
  afterAll(async () => {
    await queue?.stop();
    await fx?.close();
  });

  it('no help for it, state abandoned, staging table dropped', async () => {
    const runId = await startRun(fx.warehouse, 'pipeline', {}, 'big');
    const load = await createChunkedLoad(fx.warehouse, {
      runId,
      unitName: 'big.csv',
      path: '/nowhere/big.csv',
      sizeBytes: 200,
      sha256: 'f'.repeat(64),
      request: {},
      chunks: [0, 1].map((chunkNo) => ({
        chunkNo,
        startByte: chunkNo * 100,
        endByte: chunkNo * 100 + 100,
        firstRow: chunkNo + 1,
        firstLine: chunkNo + 2,
        records: 1,
        sha256: 'e'.repeat(64),
      })),
    });
    const table = async () =>
      (
        await fx.owner.raw<{ rows: { exists: string | null }[] }>('SELECT to_regclass(?)::text AS exists', [
          load.stagingTable,
        ])
      ).rows[0]?.exists;
    expect(await chunkedLoadToHelp(fx.warehouse, load.id)).toMatchObject({ id: load.id });
    expect(await table()).toBe(load.stagingTable);

    // Its coordinator is gone: a sweep ended its run.
    await interruptRuns(fx.warehouse, [runId], 'process ended: killed');
    expect(await chunkedLoadToHelp(fx.warehouse, load.id)).toBeUndefined();

    const stop = new AbortController();
    const worker = runWorker({
      queue,
      warehouse: fx.warehouse,
      catalog: fx.catalog,
      logger: createLogger({ console: false }),
      stagingDir: fx.scratch,
      queues: ['pipelines'],
      concurrency: 1,
      limits: new Map(),
      pipeline: async (name) => {
        throw new Error(`no pipeline ${name} here`);
      },
      signal: stop.signal,
      sweepMs: 200,
    });
    const state = async () =>
      (
        await fx.owner.raw<{ rows: { state: string }[] }>('SELECT state FROM chunked_loads WHERE id = ?', [
          load.id,
        ])
      ).rows[0]?.state;
    const deadline = Date.now() + 30_000;
    while ((await state()) !== 'abandoned' && Date.now() < deadline) await sleep(200);
    stop.abort();
    await worker;
    expect(await state()).toBe('abandoned');
    expect(await table()).toBeNull();
  });
});
