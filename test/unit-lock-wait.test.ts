import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfrastructureFault } from '../connectors/infrastructure-fault.ts';
import { DEFAULT_LIMITS } from '../connectors/limits.ts';
import { localFileUnit } from '../connectors/transports/local-file.ts';
import { createLogger } from '../src/log/logger.ts';
import { ingestUnits } from '../src/run/ingest-files.ts';
import { CITY_PROVIDER, openCliPipelineFixture } from './support/cli-pipeline-fixture.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import type { WarehouseFixture } from './support/warehouse-fixture.ts';

// A unit whose time budget (CREDIT_ETL_UNIT_TIMEOUT_S) runs out while it waits for a lock another session holds
// (an operator's LOCK TABLE, another load merging the same catalog entry) ends as the database's fault: the file
// is not recorded failed, not quarantined, the provider is not asked to split it; the pipeline retries it.

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
/** The catalog entry's merge lock (src/warehouse/merge-staged.ts lockEntryForMerge). */
const MERGE_LOCK = `hashtext('credit-etl:merge:' || 'xzcf')`;
/** Seconds: enough for a CLI process to start its unit's worker (1.8–3.6 s on the 2-core machine) and reach the lock. */
const CLI_BUDGET = '8';

describe('a unit out of time while waiting for another session’s lock is the database’s fault', () => {
  let cli: Awaited<ReturnType<typeof openCliPipelineFixture>>;
  let fx: WarehouseFixture;
  beforeAll(async () => {
    cli = await openCliPipelineFixture('unit_lock_wait');
    fx = cli.fx;
    // A worker kept warm by a first load: a fresh one takes seconds to start on a busy 2-core machine, and the short
    // budgets below must be spent waiting for the lock, not starting.
    const warm = await ingest('warm-up.csv', 9, DEFAULT_LIMITS.unitTimeoutSeconds);
    expect(warm.status).toBe('completed');
  });
  afterAll(async () => fx?.close());

  /** A session of another program (as psql would be), holding a lock until released. */
  const holdLock = async (applicationName: string, sql: string) => {
    const client = new pg.Client({ connectionString: fx.url, application_name: applicationName });
    await client.connect();
    await client.query(sql);
    return () => client.end();
  };
  const holdRecordsTable = () => holdLock('psql', 'BEGIN; LOCK TABLE records IN ACCESS EXCLUSIVE MODE');
  const holdMergeLock = () => holdLock('another ingest', `SELECT pg_advisory_lock(${MERGE_LOCK})`);

  const ingest = async (name: string, seed: number, unitTimeoutSeconds: number) =>
    ingestUnits(
      fx.warehouse,
      fx.catalog,
      {
        units: [await localFileUnit(writePenaltyCsv(fx.scratch, name, 40, { seed }).file, RECEIVED)],
        catalog: 'xzcf',
        providerCode: '113700000000000000',
        level: 'province',
        encoding: 'auto',
        limits: { ...DEFAULT_LIMITS, unitTimeoutSeconds },
      },
      createLogger({ logFile: path.join(fx.scratch, 'test.log'), console: false }),
    );
  /** What a run left against its files: source_files rows and rejections. */
  const blamed = async (runId: number) => {
    const { rows } = await fx.owner.raw(
      `SELECT (SELECT count(*) FROM source_files WHERE run_id = ?) + (SELECT count(*) FROM rejections WHERE run_id = ?) AS n`,
      [runId, runId],
    );
    return Number(rows[0].n);
  };
  const unitSessions = async () =>
    (
      await fx.owner.raw(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'credit-etl unit %'`,
      )
    ).rows;

  it('a table another session locked: an InfrastructureFault naming the lock and its holder, nothing against the file', async () => {
    const release = await holdRecordsTable();
    let error: unknown;
    try {
      error = await ingest('locked-table.csv', 1, 3).catch((e: unknown) => e);
      // The unit's session is ended, not left queued behind the lock.
      expect(await unitSessions()).toEqual([]);
    } finally {
      await release();
    }
    expect(error).toBeInstanceOf(InfrastructureFault);
    const fault = error as InfrastructureFault & { runId: number };
    expect(fault).toMatchObject({ side: 'database', retryable: true });
    expect(fault.message).toContain('while loading locked-table.csv (not a fault of the file');
    expect(fault.message).toContain('its time budget (CREDIT_ETL_UNIT_TIMEOUT_S=3) ran out');
    expect(fault.message).toMatch(
      /waited for a lock \(\w+Lock on records\) held by session pid \d+ \("psql", idle in transaction, its transaction open \d+ s\)/,
    );
    expect(fault.message).not.toContain('LOCK TABLE'); // never the holder's statement
    // The run is stored failed with the fault; the file has no row, no rejection: nothing blames it or its provider.
    const run = await fx.owner('runs').where({ id: fault.runId }).first();
    expect(run).toMatchObject({ status: 'failed' });
    expect(run.error).toContain('Lock on records) held by session pid');
    expect(await blamed(fault.runId)).toBe(0);
    // Once the lock is gone, the same file loads.
    const next = await ingest('locked-table.csv', 1, 3);
    expect(next.files.map((file) => [file.name, file.status])).toEqual([['locked-table.csv', 'loaded']]);
  });

  it('the catalog entry’s merge lock held by another load: the same, naming the advisory lock', async () => {
    const release = await holdMergeLock();
    let error: unknown;
    try {
      error = await ingest('merge-locked.csv', 2, 3).catch((e: unknown) => e);
    } finally {
      await release();
    }
    expect(error).toBeInstanceOf(InfrastructureFault);
    const fault = error as InfrastructureFault & { runId: number };
    expect(fault.message).toMatch(
      /waited for a lock \(advisory ExclusiveLock\) held by session pid \d+ \("another ingest", idle, connected \d+ s\)/,
    );
    expect(await blamed(fault.runId)).toBe(0);
  });

  it('`ingest --json`: exit 1, the failure names the lock and the run it stored failed', {
    timeout: 120_000,
  }, async () => {
    const { file } = writePenaltyCsv(fx.scratch, 'cli-ingest.csv', 40, { seed: 3 });
    const release = await holdMergeLock();
    let result: Awaited<ReturnType<typeof cli.cli>>;
    try {
      result = await cli.cli(
        ['ingest', file, '--catalog', 'xzcf', '--provider', CITY_PROVIDER, '--level', 'city', '--json'],
        { CREDIT_ETL_UNIT_TIMEOUT_S: CLI_BUDGET },
      );
    } finally {
      await release();
    }
    expect(result.code, result.stderr).toBe(1);
    const failure = JSON.parse(result.stdout);
    expect(failure).toMatchObject({ status: 'failed', exitCode: 1, runId: expect.any(Number) });
    expect(failure.error).toContain('not a fault of the file');
    expect(failure.error).toContain(`its time budget (CREDIT_ETL_UNIT_TIMEOUT_S=${CLI_BUDGET}) ran out`);
    expect(failure.error).toContain('waited for a lock (advisory ExclusiveLock) held by session pid');
    expect(await fx.owner('runs').where({ id: failure.runId }).first()).toMatchObject({
      kind: 'ingest',
      status: 'failed',
    });
    expect(await blamed(failure.runId)).toBe(0);
  });

  it('`run <pipeline>`: retried, the file stays in the inbox (never failed/), and loads once the lock is gone', {
    timeout: 180_000,
  }, async () => {
    const inbox = path.join(fx.scratch, 'inbox');
    cli.pipeline('locked', {
      transport: { type: 'drop-folder', directory: inbox },
      retry: { attempts: 2, backoffSeconds: 0 },
    });
    const { file } = writePenaltyCsv(fx.scratch, 'delivery.csv', 2_000, { seed: 4 });
    mkdirSync(inbox, { recursive: true });
    copyFileSync(file, path.join(inbox, 'delivery.csv'));
    writeFileSync(path.join(inbox, 'delivery.csv.ok'), '');
    const release = await holdRecordsTable();
    let failed: Awaited<ReturnType<typeof cli.runJson>>;
    try {
      failed = await cli.runJson('locked', { CREDIT_ETL_UNIT_TIMEOUT_S: CLI_BUDGET });
    } finally {
      await release();
    }
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.summary).toMatchObject({
      runId: expect.any(Number),
      status: 'failed',
      error: { code: 'unit-lock-wait' },
    });
    expect(failed.summary.error.message).toContain('Lock on records) held by session pid');
    expect(failed.summary.files).toEqual([]);
    const runs = await fx.owner('runs').where({ pipeline: 'locked' }).orderBy('id');
    expect(runs.map((run) => [run.status, run.attempts])).toEqual([
      ['failed', 1],
      ['failed', 2],
    ]);
    for (const run of runs) expect(await blamed(run.id)).toBe(0);
    expect(readdirSync(inbox).sort()).toEqual(['delivery.csv', 'delivery.csv.ok']);
    expect(existsSync(path.join(inbox, 'failed'))).toBe(false);

    const next = await cli.runJson('locked', { CREDIT_ETL_UNIT_TIMEOUT_S: CLI_BUDGET });
    expect(next.code, next.stderr).toBe(0);
    expect(next.summary.files.map((f: { name: string; status: string }) => [f.name, f.status])).toEqual([
      ['delivery.csv', 'loaded'],
    ]);
  });
});
