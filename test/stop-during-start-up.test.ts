import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, type RunningCli, startCli } from './support/run-cli.ts';
import { until } from './support/until.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * The long-running commands stopped while they start up, through the real CLI: the start-up is held by a table
 * lock this test takes, so the signal lands in the window for certain. A stop that came before the command
 * waited for it is honoured: the process ends promptly with the documented code, and leaves no run `running`.
 */
describe('a stop signal during start-up', { timeout: 300_000 }, () => {
  let fx: WarehouseFixture;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    fx = await openWarehouseFixture('stop_during_start_up');
    const pipelines = path.join(fx.scratch, 'pipelines');
    mkdirSync(path.join(fx.scratch, 'inbox'), { recursive: true });
    mkdirSync(pipelines);
    // The scheduler needs a scheduled pipeline: one far in the future.
    writeFileSync(
      path.join(pipelines, 'far.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370000MB2852362M',
        level: 'province',
        transport: { type: 'drop-folder', directory: path.join(fx.scratch, 'inbox'), markerSuffixes: [] },
        schedule: { cron: '0 0 1 1 *' },
      }),
    );
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_PIPELINES_DIR: pipelines,
      CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, 'staging'),
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: fx.scratch,
    };
  });
  afterAll(async () => fx?.close());

  const commands = [['serve', '--port', '0'], ['schedule'], ['schedule', '--with-worker'], ['worker']];

  /** Takes `table` ACCESS EXCLUSIVE in a transaction of its own, until `release`. */
  async function holdTable(table: string) {
    const holder = new pg.Client({ connectionString: fx.url });
    holder.on('error', () => undefined);
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    return {
      async release() {
        await holder.query('COMMIT').catch(() => undefined);
        await holder.end().catch(() => undefined);
      },
    };
  }

  /** Until a session of the CLI waits for the lock on `table`. */
  async function untilBlockedOn(table: string, running: RunningCli): Promise<void> {
    await until(`the CLI waiting for ${table}\n${running.output()}`, async () => {
      if (running.child.exitCode !== null) throw new Error(`the CLI exited early:\n${running.output()}`);
      const { rows } = await fx.owner.raw<{ rows: unknown[] }>(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
           AND query ILIKE ?`,
        [`%${table}%`],
      );
      return rows.length > 0 ? true : undefined;
    });
  }

  /** The CLI's result, or a failure if it has not exited within `ms` (it is killed then). */
  async function exitWithin(running: RunningCli, ms: number, what: string): Promise<CliResult> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), ms);
    });
    const result = await Promise.race([running.result, late]);
    clearTimeout(timer);
    if (result === 'late') {
      running.child.kill('SIGKILL');
      await running.result;
      throw new Error(`${what} still running ${ms / 1000} s after the signal:\n${running.output()}`);
    }
    return result;
  }

  const runningRuns = async () => fx.warehouse('runs').where({ status: 'running' }).select('id', 'pid');

  for (const command of commands) {
    it(`\`${command.join(' ')}\`: SIGTERM after the warehouse opened, before it waits: stops at once, exit 0`, async () => {
      // The engine's start-up (marking the runs of killed processes) waits for the runs table.
      const lock = await holdTable('runs');
      let running: RunningCli | undefined;
      try {
        running = startCli(command, env);
        await untilBlockedOn('runs', running);
        running.child.kill('SIGTERM');
        const current = running;
        await until(`the SIGTERM acknowledged\n${current.output()}`, async () =>
          current.output().includes('finishing the current file, then stopping') ? true : undefined,
        );
      } finally {
        await lock.release();
      }
      const result = await exitWithin(running, 60_000, command.join(' '));
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout + result.stderr).not.toMatch(/console listening|scheduler started/);
      expect(await runningRuns()).toEqual([]);
    });
  }

  for (const command of commands) {
    it(`\`${command.join(' ')}\`: SIGTERM while the warehouse opens (migrations checked): exit 130 at once, nothing loaded`, async () => {
      // The migrations' check reads knex_migrations: the CLI waits there, its warehouse not yet open.
      const lock = await holdTable('knex_migrations');
      try {
        const running = startCli(command, env);
        await untilBlockedOn('knex_migrations', running);
        running.child.kill('SIGTERM');
        // Still held: the CLI does not wait for the migrations' check to stop.
        const result = await exitWithin(running, 30_000, command.join(' '));
        expect(result.code, result.stderr).toBe(130);
        expect(result.stderr).toMatch(/SIGTERM received while the warehouse was opening: stopping/);
        expect(result.stderr).not.toMatch(/finishing the current file|rolling back|rolled back/);
        expect(result.stdout + result.stderr).not.toMatch(
          /console listening|scheduler started|worker started/,
        );
      } finally {
        await lock.release();
      }
      expect(await runningRuns()).toEqual([]);
    });
  }
});
