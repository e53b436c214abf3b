import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { markInterruptedRuns } from '../src/run/run-ledger.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const count = async (fx: WarehouseFixture, table: string) =>
  Number((await fx.warehouse(table).count<{ count: number }[]>({ count: '*' }))[0]?.count);

describe('a run killed with SIGKILL in the middle of a file', () => {
  let fx: WarehouseFixture;

  beforeAll(async () => {
    fx = await openWarehouseFixture('killed');
  });
  afterAll(async () => fx?.close());

  it('leaves nothing of the file in the warehouse, and the next run loads it whole', async () => {
    const { file, expected } = writePenaltyCsv(fx.scratch, 'big.csv', 30_000, { badShare: 0.01 });
    const child = spawn(
      process.execPath,
      [
        path.join(PROJECT_ROOT, 'bin/credit-etl.js'),
        'ingest',
        file,
        '--catalog',
        'xzcf',
        '--provider',
        '11370000MB2852362M',
        '--level',
        'province',
      ],
      {
        env: { ...process.env, DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') },
        stdio: 'ignore',
      },
    );
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // Wait until the file's rows are streaming into staging, then kill the process outright.
    const copying = async () =>
      // As the owner: the engine's role may not read another session's query.
      (
        await fx.owner.raw(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY stage%'`,
        )
      ).rows.length > 0;
    for (let tries = 0; !(await copying()); tries++) {
      expect(tries, 'the COPY into staging never started').toBeLessThan(600);
      await sleep(50);
    }
    await sleep(200);
    child.kill('SIGKILL');
    await exited;
    for (let tries = 0; await copying(); tries++) {
      expect(tries).toBeLessThan(200);
      await sleep(50);
    }

    expect(await count(fx, 'source_files')).toBe(0);
    expect(await count(fx, 'records')).toBe(0);
    expect(await count(fx, 'rejections')).toBe(0);
    const [run] = await fx.warehouse('runs').select('status');
    expect(run.status).toBe('running');
    expect(await markInterruptedRuns(fx.warehouse)).toBe(1);

    const summary = await fx.ingest([file], { level: 'city' });
    expect(summary.counts).toMatchObject({
      read: 30_000,
      inserted: 30_000 - expected.length,
      rejected: expected.length,
    });
  }, 180_000);
});
