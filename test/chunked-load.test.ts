import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileUnit } from '../connectors/transports/local-file.ts';
import { csvLine, PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import { createLogger } from '../src/log/logger.ts';
import type { JobQueue } from '../src/queue/job-queue.ts';
import { openQueue } from '../src/queue/open-queue.ts';
import { chunkHelpersOf } from '../src/queue/stage-chunks-job.ts';
import { ingestUnits, type RunSummary } from '../src/run/ingest-files.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';
import { warehouseState } from './support/warehouse-state.ts';

// The suite loads 20,000 rows (~40 s); the acceptance size is `CHUNKED_TEST_ROWS=300000` (~16 min on 2 shared
// cores, passed 4/4 on 2026-12-02), which proves the same equivalence on chunks of realistic size.
const ROWS = Number(process.env.CHUNKED_TEST_ROWS ?? 20_000);
const HELPER = path.join(import.meta.dirname, 'support/chunk-helper-process.ts');
const RECEIVED = new Date('2026-11-30T02:00:00Z');

/** Loads `file` in a fresh warehouse, with `workers - 1` helper processes when chunked; its state and summary. */
async function loadWith(file: string, workers: number, chunkBytes: number | undefined, kill = false) {
  const fx = await openWarehouseFixture(`chunked-${workers}`);
  const helpers: ChildProcess[] = [];
  let queue: JobQueue | undefined;
  try {
    const logger = createLogger({ logFile: path.join(fx.scratch, 'test.log'), console: false });
    if (chunkBytes) {
      queue = await openQueue(fx.url, { logger, maintain: false });
      for (let i = 1; i < workers; i++) {
        const child = fork(HELPER, [fx.url], { execArgv: ['--import', 'tsx'], stdio: 'ignore' });
        helpers.push(child);
        // Its 'ready', or its end: a helper that ended first (it could not reach the database) fails the test here,
        // not after the test's 15 minutes of waiting for a message that cannot come.
        await Promise.race([
          once(child, 'message'),
          once(child, 'exit').then(([code, signal]) => {
            throw new Error(`chunk helper ${child.pid} ended (${signal ?? code}) before it was ready`);
          }),
        ]);
      }
    }
    const previous = process.env.CREDIT_ETL_CHUNK_BYTES;
    if (chunkBytes) process.env.CREDIT_ETL_CHUNK_BYTES = String(chunkBytes);
    else delete process.env.CREDIT_ETL_CHUNK_BYTES;
    // A helper killed while it stages: its chunk rolls back and is staged again by someone else.
    const killer = kill ? killOneHelperWhileStaging(fx, helpers) : undefined;
    let summary: RunSummary;
    try {
      summary = await ingestUnits(
        fx.warehouse,
        fx.catalog,
        {
          units: [await localFileUnit(file, RECEIVED)],
          catalog: 'xzcf',
          providerCode: '113700000000000000',
          level: 'province',
          encoding: 'auto',
          ...(queue ? { chunkHelpers: chunkHelpersOf(queue) } : {}),
        },
        logger,
      );
    } finally {
      if (previous === undefined) delete process.env.CREDIT_ETL_CHUNK_BYTES;
      else process.env.CREDIT_ETL_CHUNK_BYTES = previous;
    }
    const killed = await killer;
    const state = await warehouseState(fx.warehouse);
    const chunks = await fx.owner('file_chunks').select('chunk_no', 'state', 'worker', 'staged_rows');
    const loads = await fx.owner('chunked_loads').select('state', 'chunk_count', 'staging_table');
    const leftover = await fx.owner.raw(
      `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'chunk_staging'`,
    );
    return { summary, state, chunks, loads, leftover: leftover.rows[0].n as number, killed };
  } finally {
    for (const child of helpers) child.kill('SIGKILL');
    await queue?.stop();
    await fx.close();
  }
}

/** Waits until some helper holds a chunk (its session is in a COPY), then kills that process with SIGKILL. */
async function killOneHelperWhileStaging(
  fx: WarehouseFixture,
  helpers: ChildProcess[],
): Promise<number | undefined> {
  for (let tries = 0; tries < 600; tries++) {
    const busy = await fx.owner.raw(
      `SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'credit-etl chunk helper %'
         AND query LIKE 'COPY chunk_staging.%' AND state = 'active'`,
    );
    const name: string | undefined = busy.rows[0]?.application_name;
    const pid = name ? Number(name.split(' ').at(-1)) : undefined;
    const victim = helpers.find((child) => child.pid === pid);
    if (victim) {
      victim.kill('SIGKILL');
      return pid;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}

describe(`a ${ROWS.toLocaleString('en')}-row file loaded in chunks by several worker processes`, () => {
  let file: string;
  let single: Awaited<ReturnType<typeof loadWith>>;
  let fx: WarehouseFixture;

  beforeAll(async () => {
    fx = await openWarehouseFixture('chunked-file');
    const generated = writePenaltyCsv(fx.scratch, `penalties-${ROWS}.csv`, ROWS, { badShare: 0.02 });
    file = generated.file;
    // Repeats far from their first row, so in another chunk: one identical (unchanged), one with other content
    // (rejected as duplicate-key-in-batch, naming the first row), as a single-worker load judges them; a blank line.
    const bad = new Set(generated.expected.map((expected) => expected.row));
    const [same, other] = generated.rows.flatMap((row, i) => (bad.has(i + 2) ? [] : [row])).slice(0, 2);
    if (!same || !other) throw new Error('no valid rows generated');
    const changed = other.map((cell, i) =>
      i === PENALTY_HEADER.indexOf('违法事实') ? `${cell}（补充）` : cell,
    );
    appendFileSync(file, `${csvLine(same)}${csvLine(changed)}\r\n`);
    single = await loadWith(file, 1, undefined);
  }, 900_000);
  afterAll(async () => fx?.close());

  it('the single-worker load is the reference: every row has its outcome, the repeats are judged', () => {
    const { counts } = single.summary;
    expect(single.summary.status).toBe('completed');
    expect(counts.read).toBe(ROWS + 2);
    expect(counts.rejected).toBeGreaterThan(ROWS * 0.015);
    expect(counts.unchanged).toBe(1);
    expect(single.summary.errorsByCode['duplicate-key-in-batch']).toBe(1);
    expect(single.loads).toEqual([]);
  });

  for (const workers of [2, 4]) {
    it(`${workers} workers leave the warehouse exactly as one worker does`, async () => {
      const chunkBytes = Math.max(1 << 20, Math.floor(statSync(file).size / (workers * 3)));
      const chunked = await loadWith(file, workers, chunkBytes);
      expect(chunked.summary.counts).toEqual(single.summary.counts);
      expect(chunked.summary.errorsByCode).toEqual(single.summary.errorsByCode);
      expect(chunked.state).toEqual(single.state);
      expect(chunked.loads).toMatchObject([{ state: 'merged' }]);
      expect(chunked.loads[0].chunk_count).toBeGreaterThanOrEqual(workers * 2);
      expect(chunked.chunks.every((chunk: { state: string }) => chunk.state === 'staged')).toBe(true);
      // Other processes staged chunks too, not only the coordinator.
      const by = new Set(chunked.chunks.map((chunk: { worker: string }) => chunk.worker.split(' ')[0]));
      expect(by).toEqual(new Set(['coordinator', 'helper']));
      expect(chunked.leftover).toBe(0);
    }, 900_000);
  }

  it('a helper killed (SIGKILL) while it stages a chunk loses nothing: the chunk is staged again, the file loads whole', async () => {
    const chunkBytes = Math.max(1 << 20, Math.floor(statSync(file).size / 12));
    const chunked = await loadWith(file, 3, chunkBytes, true);
    expect(chunked.killed).toBeDefined();
    expect(chunked.state).toEqual(single.state);
    expect(chunked.chunks.every((chunk: { state: string }) => chunk.state === 'staged')).toBe(true);
    expect(
      chunked.chunks.some((chunk: { worker: string }) => chunk.worker === `helper ${chunked.killed}`),
    ).toBe(false);
  }, 900_000);
});
