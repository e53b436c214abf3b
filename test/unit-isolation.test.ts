import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceUnit } from '../connectors/contracts.ts';
import { InfrastructureFault } from '../connectors/infrastructure-fault.ts';
import { DEFAULT_LIMITS, type Limits } from '../connectors/limits.ts';
import { formatForFile } from '../connectors/registry.ts';
import { unitsForFile } from '../connectors/transports/archive-units.ts';
import { localFileUnit } from '../connectors/transports/local-file.ts';
import { createLogger } from '../src/log/logger.ts';
import { ingestUnits, type RunSummary } from '../src/run/ingest-files.ts';
import { loadIsolated } from '../src/run/isolated-unit.ts';
import { startUnitWorkerAhead, takeWorker } from '../src/run/unit-workers.ts';
import { rollBackActiveUnits } from '../src/warehouse/active-units.ts';
import { connectWarehouse } from '../src/warehouse/connect-warehouse.ts';
import { startRun } from '../src/warehouse/runs-repository.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { writeLongLineGzip, writeWideRowsCsv, writeZipBomb } from './support/poison-archives.ts';
import { startCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');

describe('a file unit that would take the process down fails alone', () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('isolation');
  });
  afterAll(async () => fx?.close());

  const ingest = (units: SourceUnit[], limits: Partial<Limits> = {}, onProgress?: () => void) =>
    ingestUnits(
      fx.warehouse,
      fx.catalog,
      {
        units,
        catalog: 'xzcf',
        providerCode: '113700000000000000',
        level: 'province',
        encoding: 'auto',
        limits: { ...DEFAULT_LIMITS, ...limits },
        ...(onProgress ? { onProgress } : {}),
      },
      createLogger({ logFile: path.join(fx.scratch, 'test.log'), console: false }),
    );
  const goodCsv = (name: string, seed: number) =>
    localFileUnit(writePenaltyCsv(fx.scratch, name, 40, { seed }).file, RECEIVED);
  /** What of a run reached the warehouse: row outcomes and rejections. */
  const committedRows = async (runId: number) => {
    const { rows } = await fx.warehouse.raw(
      `SELECT (SELECT count(*) FROM record_sources WHERE run_id = ?) + (SELECT count(*) FROM rejections WHERE run_id = ?) AS n`,
      [runId, runId],
    );
    return Number(rows[0].n);
  };
  const storedFiles = async (runId: number) =>
    (await fx.warehouse('source_files').where({ run_id: runId }).orderBy('id')).map(
      (file: { name: string; status: string; error_code: string | null }) => [
        file.name,
        file.status,
        file.error_code,
      ],
    );

  it('records a file that exhausts its worker’s heap as unit-out-of-memory and loads the files around it', async () => {
    const poison = path.join(fx.scratch, 'wide.csv');
    await writeWideRowsCsv(poison);
    const units = [
      await goodCsv('a.csv', 1),
      await localFileUnit(poison, RECEIVED),
      await goodCsv('b.csv', 2),
    ];
    const summary = await ingest(units, { unitHeapMb: 64 });
    expect(summary.files.map((file) => [file.name, file.status, file.error?.code])).toEqual([
      ['a.csv', 'loaded', undefined],
      ['wide.csv', 'failed', 'unit-out-of-memory'],
      ['b.csv', 'loaded', undefined],
    ]);
    expect(summary.files[1]?.error?.message).toContain('所需内存超过上限（64 MB');
    expect(summary.counts.read).toBe(80);
    expect(await committedRows(summary.runId)).toBe(80);
    expect(await storedFiles(summary.runId)).toEqual([
      ['a.csv', 'loaded', null],
      ['wide.csv', 'failed', 'unit-out-of-memory'],
      ['b.csv', 'loaded', null],
    ]);
  });

  it('gives the worker its own heap cap under the real CLI, whose node flags are the main thread’s', async () => {
    // V8 lets process-wide heap flags override a worker's resourceLimits: under the CLI's `#!` line the worker of
    // this file once got 192 MB whatever CREDIT_ETL_UNIT_HEAP_MB said, read it whole and rejected every row.
    const poison = path.join(fx.scratch, 'wide-cli.csv');
    await writeWideRowsCsv(poison);
    const env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_UNIT_HEAP_MB: '64',
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'cli-reports'),
    };
    const args = [
      'ingest',
      poison,
      '--catalog',
      'xzcf',
      '--provider',
      '11370000MB2852362M',
      '--level',
      'province',
    ];
    const { code, stdout } = await startCli([...args, '--json'], env, { asExecutable: true }).result;
    const summary = JSON.parse(stdout.trim().split('\n').pop()!) as RunSummary;
    expect(summary.files.map((file) => [file.status, file.error?.code])).toEqual([
      ['failed', 'unit-out-of-memory'],
    ]);
    expect(summary.files[0]?.error?.message).toContain('所需内存超过上限（64 MB');
    expect(code).toBe(1);
  });

  /** Sessions of unit workers still open on the server. */
  const unitSessions = async () =>
    (
      await fx.owner.raw(
        `SELECT application_name FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'credit-etl unit %'`,
      )
    ).rows;

  /** Holds every other writer of `records` off (a hung unit), until the returned release is called. */
  const holdRecords = async () => {
    // As the owner: the engine's role may append and update, never take a table's exclusive lock.
    const lock = await fx.owner.transaction();
    await lock.raw('LOCK TABLE records IN ACCESS EXCLUSIVE MODE');
    return () => lock.rollback();
  };

  it('ends a unit over its time budget with unit-timeout, nothing of it committed, and goes on', async () => {
    // Merely slow: 100,000 rows (56 MB) in one second, waiting for no lock. A unit out of time while it waits for
    // another session's lock is the database's fault instead (test/unit-lock-wait.test.ts).
    const [header, ...rows] = readFileSync(
      writePenaltyCsv(fx.scratch, 'slow-rows.csv', 20_000, { seed: 3 }).file,
      'utf8',
    ).split(/(?<=\n)/);
    const slow = path.join(fx.scratch, 'slow.csv');
    writeFileSync(slow, [header, ...rows, ...rows, ...rows, ...rows, ...rows].join(''));
    const summary = await ingest([await localFileUnit(slow, RECEIVED)], { unitTimeoutSeconds: 1 });
    // Its session is gone too, not left running.
    expect(await unitSessions()).toEqual([]);
    expect(summary.files.map((file) => [file.name, file.status, file.error?.code])).toEqual([
      ['slow.csv', 'failed', 'unit-timeout'],
    ]);
    expect(summary.files[0]?.error?.message).toContain('1 秒内未能读完入库');
    expect(await committedRows(summary.runId)).toBe(0);
    expect(await storedFiles(summary.runId)).toEqual([['slow.csv', 'failed', 'unit-timeout']]);
    const next = await ingest([await goodCsv('after.csv', 4)]);
    expect(next.files.map((file) => file.status)).toEqual(['loaded']);
  });

  it('rolls a worker’s unit back at once when active units are rolled back (hard stop)', async () => {
    const release = await holdRecords();
    let rolledBack: Promise<void> | undefined;
    let stopped: unknown;
    try {
      await ingest([await goodCsv('stopped.csv', 5)], {}, () => {
        rolledBack ??= rollBackActiveUnits();
      }).catch((error) => {
        stopped = error;
      });
      await rolledBack;
      expect(await unitSessions()).toEqual([]);
    } finally {
      await release();
    }
    expect(stopped).toMatchObject({ code: 'unit-stopped' });
    const { rows } = await fx.warehouse.raw('SELECT max(id) AS id FROM runs');
    const runId = Number(rows[0].id);
    expect(await storedFiles(runId)).toEqual([]);
    expect(await committedRows(runId)).toBe(0);
  });

  it('stops a zip bomb and a 64 KB .gz holding a 64 MB line at the decompression limit', async () => {
    const bomb = path.join(fx.scratch, 'bomb.zip');
    const longLine = path.join(fx.scratch, 'long.csv.gz');
    await writeZipBomb(bomb);
    await writeLongLineGzip(longLine);
    const units = [...(await unitsForFile(bomb, RECEIVED)), ...(await unitsForFile(longLine, RECEIVED))];
    const summary = await ingest(units);
    expect(summary.files.map((file) => [file.name, file.status, file.error?.code])).toEqual([
      ['bomb.zip!bomb.csv', 'failed', 'decompression-limit'],
      ['long.csv.gz!long.csv', 'failed', 'decompression-limit'],
    ]);
    expect(summary.files[0]?.error?.message).toContain('压缩包 bomb.zip 中的「bomb.csv」的压缩比超过 200 倍');
    expect(await committedRows(summary.runId)).toBe(0);
  });

  /** A load request for one small CSV, into the given warehouse. */
  const csvRequest = async (name: string, seed: number) => {
    const unit = await goodCsv(name, seed);
    return {
      runId: 1,
      unit,
      format: formatForFile(unit.name),
      encoding: 'auto' as const,
      entry: fx.catalog.resolve('xzcf', '2026-11-20'),
      providerCode: '113700000000000000',
      level: 'province' as const,
    };
  };

  it('a worker that ends before it takes the unit costs the file nothing: the unit loads on a fresh worker', async () => {
    const runId = await startRun(fx.warehouse, 'ingest', {});
    const request = { ...(await csvRequest('unstarted.csv', 8)), runId };
    // None kept from the cases above (one of another heap cap would be let go, not taken): the one started here is.
    await takeWorker(DEFAULT_LIMITS.unitHeapMb).terminate();
    // The worker kept for the next unit is ending (terminate() called, its exit not come yet) as the unit takes it.
    void startUnitWorkerAhead(DEFAULT_LIMITS.unitHeapMb).terminate();
    const result = await loadIsolated(fx.warehouse, request, DEFAULT_LIMITS);
    expect([result.status, result.error?.code]).toEqual(['loaded', undefined]);
    expect(await storedFiles(runId)).toEqual([['unstarted.csv', 'loaded', null]]);
  });

  it('a unit whose workers cannot start is an infrastructure fault of the machine, never recorded against the file', async () => {
    const runId = await startRun(fx.warehouse, 'ingest', {});
    const request = { ...(await csvRequest('no-worker.csv', 9)), runId };
    // A heap cap too small for the worker's own modules: it dies loading them, before it could take the unit.
    const error = await loadIsolated(fx.warehouse, request, { ...DEFAULT_LIMITS, unitHeapMb: 2 }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(InfrastructureFault);
    expect(error).toMatchObject({ side: 'worker', retryable: true });
    expect(error.message).toContain("the unit's worker thread failed while loading no-worker.csv");
    expect(error.message).toContain(
      'its heap cap (CREDIT_ETL_UNIT_HEAP_MB=2) is too small for its own modules',
    );
    expect(error.message).not.toContain('\n'); // one line: the stack is the log's
    expect(await storedFiles(runId)).toEqual([]);
  });

  it('rethrows an error the worker could not own with its SQLSTATE', async () => {
    const missing = connectWarehouse(`${fx.url}_missing`);
    try {
      await expect(
        loadIsolated(missing, await csvRequest('fault.csv', 6), DEFAULT_LIMITS),
      ).rejects.toMatchObject({
        code: '3D000',
      });
    } finally {
      await missing.destroy();
    }
  });

  it('rethrows a lost database inside the worker as an InfrastructureFault, for the runner to retry', async () => {
    const down = connectWarehouse('postgres://postgres@127.0.0.1:1/credit');
    try {
      const error = await loadIsolated(down, await csvRequest('down.csv', 7), DEFAULT_LIMITS).catch((e) => e);
      expect(error).toBeInstanceOf(InfrastructureFault);
      expect(error).toMatchObject({ side: 'database', retryable: true, cause: { code: 'ECONNREFUSED' } });
      expect(error.message).toContain('while loading down.csv');
    } finally {
      await down.destroy();
    }
  });
});
