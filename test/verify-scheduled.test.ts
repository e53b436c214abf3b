import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basePenalties, writeRows } from './support/penalty-variants.ts';
import { startCli } from './support/run-cli.ts';
import { lastRunId, verifyRunAfter } from './support/scheduled-verify-runs.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

describe('schedule runs verify on its cron and reports it like any run', () => {
  let fx: WarehouseFixture;

  beforeAll(async () => {
    fx = await openWarehouseFixture('verify_scheduled');
    await fx.ingest([writeRows(fx.scratch, 'delivery.csv', basePenalties(3, 152))], {
      receivedAt: new Date('2026-11-20T10:00:00+08:00'),
    });
  });
  afterAll(async () => fx?.close());

  /** `credit-etl schedule` with no pipeline and verify every second, until its first verify run ends. */
  async function scheduledVerify(label: string) {
    const pipelines = path.join(fx.scratch, `pipelines-${label}`);
    mkdirSync(pipelines, { recursive: true });
    const logFile = path.join(fx.scratch, `${label}.log`);
    const before = await lastRunId(fx.warehouse);
    const cli = startCli(['schedule'], {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: logFile,
      CREDIT_ETL_PIPELINES_DIR: pipelines,
      CREDIT_ETL_VERIFY_CRON: '* * * * * *',
    });
    try {
      const run = await verifyRunAfter(fx.warehouse, before, cli);
      return { run, log: () => readFileSync(logFile, 'utf8'), cli };
    } finally {
      cli.child.kill('SIGTERM');
      const { code } = await cli.result;
      expect(code).toBe(0);
    }
  }

  it('a sound warehouse: a completed verify run with its counts', { timeout: 120_000 }, async () => {
    const { run } = await scheduledVerify('clean');
    expect(run).toMatchObject({ status: 'completed', counts: { records: 3, versions: 3, files: 1 } });
  });

  it('altered history: a failed verify run naming the problem, and an error in the log', {
    timeout: 120_000,
  }, async () => {
    const superuser = new pg.Client({ connectionString: fx.url });
    await superuser.connect();
    try {
      await superuser.query('SET session_replication_role = replica');
      await superuser.query(
        `UPDATE record_versions SET data = jsonb_set(data, '{CF_NR}', '"警告"')
         WHERE id = (SELECT min(id) FROM record_versions)`,
      );
      const { run, log } = await scheduledVerify('tampered');
      expect(run).toMatchObject({
        status: 'failed',
        errors_by_code: { 'chain-broken': 1 },
        counts: { tamperedRecords: 1, tamperedFiles: 0 },
      });
      expect(run.error).toMatch(/history altered outside the engine: 1 record\(s\), 0 file\(s\)/);
      const errors = log()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { level: string; message: string })
        .filter((line) => line.level === 'error');
      expect(errors.map((line) => line.message)).toContainEqual(
        expect.stringMatching(/^verify: run \d+ failed: history altered outside the engine/),
      );
    } finally {
      await superuser.end();
    }
  });
});
