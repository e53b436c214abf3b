import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { infrastructureFault } from '../connectors/infrastructure-fault.ts';
import { createLogger } from '../src/log/logger.ts';
import type { PipelineDefinition } from '../src/pipelines/pipeline-definition.ts';
import { runPipeline } from '../src/pipelines/run-pipeline.ts';
import { connectWarehouse } from '../src/warehouse/connect-warehouse.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

describe('a lost database connection is retried, never blamed on the file (real PostgreSQL)', () => {
  let fx: WarehouseFixture;
  let killer: pg.Client;
  const logger = createLogger({ console: false });

  beforeAll(async () => {
    fx = await openWarehouseFixture('infra_fault');
    killer = new pg.Client({ connectionString: fx.url });
    await killer.connect();
  });
  afterAll(async () => {
    await killer?.end();
    await fx?.close();
  });

  /** Waits for a COPY into staging on the test database and terminates the backend running it. */
  async function terminateLoaderDuringCopy(): Promise<void> {
    for (let tries = 0; ; tries++) {
      const { rows } = await killer.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY stage%'`,
      );
      if (rows[0]) {
        await killer.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
        return;
      }
      expect(tries, 'the COPY into staging never started').toBeLessThan(1200);
      await sleep(25);
    }
  }

  function dropFolderPipeline(name: string, inbox: string, attempts: number): PipelineDefinition {
    return {
      name,
      file: `${name}.json`,
      catalog: 'xzcf',
      provider: '11370100MB28174284',
      level: 'city',
      encoding: 'auto',
      transport: { type: 'drop-folder', directory: inbox },
      fieldMapping: {},
      schedule: { enabled: false },
      thresholds: { maxRejectRate: 1, maxRejected: null },
      retry: { attempts, backoffSeconds: 0 },
      partition: { offsetDays: -1 },
      allowPilotCodes: false,
    };
  }

  function deliver(inbox: string, name: string, rows: number, seed: number): void {
    mkdirSync(inbox, { recursive: true });
    writePenaltyCsv(inbox, name, rows, { seed });
    writeFileSync(path.join(inbox, `${name}.ok`), '');
  }

  it('with attempts 3: the next attempt loads the file once, it is never in failed/, the attempts are recorded', {
    timeout: 240_000,
  }, async () => {
    const inbox = path.join(fx.scratch, 'retried');
    deliver(inbox, 'big.csv', 20_000, 1);
    const [result] = await Promise.all([
      runPipeline(
        fx.warehouse,
        fx.catalog,
        dropFolderPipeline('retried', inbox, 3),
        { stagingDir: fx.scratch },
        logger,
      ),
      terminateLoaderDuringCopy(),
    ]);
    expect(result.status).toBe('ran');
    const summary = result.status === 'ran' ? result.summary : undefined;
    expect(summary).toMatchObject({ status: 'completed', counts: { read: 20_000 } });

    const runs = await fx.warehouse('runs').where({ pipeline: 'retried' }).orderBy('id');
    expect(runs.map((run) => [run.status, run.attempts])).toEqual([
      ['failed', 1],
      ['completed', 2],
    ]);
    expect(runs[0].error).toMatch(
      /the database connection failed while loading big\.csv \(not a fault of the file/,
    );
    const files = await fx.warehouse('source_files').where({ name: 'big.csv' }).select('status', 'run_id');
    expect(files).toEqual([{ status: 'loaded', run_id: summary?.runId }]);
    expect(readdirSync(path.join(inbox, 'processed')).sort()).toEqual(['big.csv', 'big.csv.ok']);
    expect(existsSync(path.join(inbox, 'failed'))).toBe(false);
  });

  it('with attempts 1: the run fails with the database error and the file stays in the inbox', {
    timeout: 240_000,
  }, async () => {
    const inbox = path.join(fx.scratch, 'once');
    deliver(inbox, 'big.csv', 20_000, 2);
    const [result] = await Promise.all([
      runPipeline(
        fx.warehouse,
        fx.catalog,
        dropFolderPipeline('once', inbox, 1),
        { stagingDir: fx.scratch },
        logger,
      ),
      terminateLoaderDuringCopy(),
    ]);
    expect(result.status === 'ran' && result.summary.status).toBe('failed');
    const runs = await fx.warehouse('runs').where({ pipeline: 'once' });
    expect(runs.map((run) => [run.status, run.attempts])).toEqual([['failed', 1]]);
    expect(runs[0].error).toMatch(/database connection failed while loading big\.csv/);
    // Nothing recorded against the file: it is picked up by the next run.
    expect(await fx.warehouse('source_files').where({ run_id: runs[0].id })).toEqual([]);
    expect(readdirSync(inbox).sort()).toEqual(['big.csv', 'big.csv.ok']);
  });

  it('a transport outage (SFTP server unreachable) is retried by the runner too, then stored with its attempts', async () => {
    const port = await closedPort();
    const pipeline: PipelineDefinition = {
      ...dropFolderPipeline('sftp-down', fx.scratch, 2),
      transport: {
        type: 'sftp',
        host: '127.0.0.1',
        port,
        username: 'nobody',
        hostKeySha256: `SHA256:${'A'.repeat(43)}`,
        remoteDir: '/drop',
        retry: { attempts: 1 },
      },
    };
    const result = await runPipeline(fx.warehouse, fx.catalog, pipeline, { stagingDir: fx.scratch }, logger);
    expect(result.status === 'ran' && result.summary.status).toBe('failed');
    const runs = await fx.warehouse('runs').where({ pipeline: 'sftp-down' });
    expect(runs.map((run) => [run.status, run.attempts])).toEqual([['failed', 2]]);
    expect(runs[0].error).toMatch(/ECONNREFUSED/);
  });

  it('`ingest` with a lost connection exits 1 saying the database failed, not the file', {
    timeout: 240_000,
  }, async () => {
    const dir = path.join(fx.scratch, 'ingest');
    mkdirSync(dir);
    const { file } = writePenaltyCsv(dir, 'big.csv', 20_000, { seed: 3 });
    const args = [
      'ingest',
      file,
      '--catalog',
      'xzcf',
      '--provider',
      '11370000MB2852362M',
      '--level',
      'province',
    ];
    const env = { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') };
    const [result] = await Promise.all([runCli(args, env), terminateLoaderDuringCopy()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /the database connection failed while loading big\.csv \(not a fault of the file, which stays to be loaded again\)/,
    );
    expect(await fx.warehouse('source_files').where({ name: 'big.csv', status: 'failed' })).toEqual([]);
  });
});

describe('the classifier on real failures', () => {
  it('a terminated backend and the dead client after it are database faults', async () => {
    const fx = await openWarehouseFixture('infra_classify');
    const victim = new pg.Client({ connectionString: fx.url });
    victim.on('error', () => undefined);
    const killer = new pg.Client({ connectionString: fx.url });
    try {
      await Promise.all([victim.connect(), killer.connect()]);
      const { rows } = await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const pid = rows[0]?.pid;
      const sleeping = victim.query('SELECT pg_sleep(60)').then(
        () => undefined,
        (error: unknown) => error,
      );
      // Terminated once the server runs the statement (on a loaded machine the query may not have reached it yet):
      // what is asserted is a fault that breaks a statement under way.
      await vi.waitFor(
        async () => {
          const running = await killer.query(
            "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event = 'PgSleep'",
            [pid],
          );
          expect(running.rowCount).toBe(1);
        },
        { timeout: 30_000, interval: 20 },
      );
      await killer.query('SELECT pg_terminate_backend($1)', [pid]);
      const terminated = await sleeping;
      expect(terminated).toMatchObject({ code: '57P01' });
      expect(infrastructureFault(terminated)).toBe('database');
      const afterwards = await victim.query('SELECT 1').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(afterwards).toBeInstanceOf(Error);
      expect(infrastructureFault(afterwards)).toBe('database');
      // A statement's own error is not: the next file would fail the same way.
      const bad = await killer.query('SELECT no_such_column FROM pg_class').catch((error: unknown) => error);
      expect(infrastructureFault(bad)).toBeUndefined();
    } finally {
      await killer.end();
      await victim.end().catch(() => undefined);
      await fx.close();
    }
  });

  it('a refused connection to a closed port is a network fault, through pg and through knex', async () => {
    const port = await closedPort();
    const url = `postgres://postgres@127.0.0.1:${port}/none`;
    const client = new pg.Client({ connectionString: url });
    const refused = await client.connect().catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'ECONNREFUSED' });
    expect(infrastructureFault(refused)).toBe('network');
    const warehouse = connectWarehouse(url);
    try {
      const viaKnex = await warehouse.raw('SELECT 1').catch((error: unknown) => error);
      expect(infrastructureFault(viaKnex)).toBe('network');
    } finally {
      await warehouse.destroy();
    }
  });
});

/** A loopback port nothing listens on: a connection to it is refused. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
