import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_ALERTS } from '../src/alerts/alert-event.ts';
import { dailyObjectionCheck, nightlyVerify } from '../src/cli/commands/schedule-command.ts';
import type { Logger } from '../src/log/logger.ts';
import { type ScheduledJob, startScheduler } from '../src/schedule/scheduler.ts';
import type { RunKind, RunRow } from '../src/warehouse/runs-repository.ts';
import { recordingLogger } from './support/recording-logger.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// The nightly verify and the daily objection check, as `schedule` runs them, on the real scheduler and a real
// PostgreSQL whose connection is cut under the job after its run started (as a server restart cuts it).
describe('a scheduled job stopped after its run started (real scheduler, real PostgreSQL)', () => {
  let fx: WarehouseFixture;

  beforeAll(async () => {
    fx = await openWarehouseFixture('scheduled-job-retry');
  });
  afterAll(async () => fx?.close());

  const runsOf = (kind: RunKind): Promise<Pick<RunRow, 'id' | 'status' | 'error'>[]> =>
    fx.owner('runs').where({ kind }).orderBy('id').select('id', 'status', 'error');

  /**
   * Holds `tables` until the first other session waits for them, then terminates that session's backend (SQLSTATE
   * 57P01, what a restarting server sends) and lets go: the job's first query on them dies mid-run.
   */
  async function cutTheFirstQueryOn(tables: string): Promise<void> {
    await fx.owner.transaction(async (trx) => {
      await trx.raw(`LOCK TABLE ${tables} IN ACCESS EXCLUSIVE MODE`);
      for (;;) {
        const { rows } = await fx.owner.raw<{ rows: { pid: number }[] }>(
          `SELECT pid FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
        );
        const waiting = rows[0];
        if (waiting) {
          await fx.owner.raw('SELECT pg_terminate_backend(?)', [waiting.pid]);
          return;
        }
        await sleep(20);
      }
    });
  }

  /** Runs `job` on the scheduler until a run of `kind` completes; returns the log lines. */
  async function scheduleUntilCompleted(job: (logger: Logger) => ScheduledJob, kind: RunKind) {
    const { lines, logger } = recordingLogger();
    const scheduler = startScheduler({
      pipelines: [],
      logger,
      runPipeline: async () => undefined,
      jobs: [job(logger)],
    });
    try {
      for (let waited = 0; !(await runsOf(kind)).some((run) => run.status === 'completed'); waited += 100) {
        expect(waited, lines.join('')).toBeLessThan(30_000);
        await sleep(100);
      }
    } finally {
      await scheduler.stop();
    }
    return lines;
  }

  it('the objection check cut by a restart is tried again and really runs; its first run ends failed with the error', async () => {
    const cut = cutTheFirstQueryOn('objections');
    // Every 10 s: the check is tried again only if that comes a second before the next trigger, and a loaded
    // machine can take seconds to start it, see it wait and cut it.
    const lines = await scheduleUntilCompleted(
      (logger) => dailyObjectionCheck(fx.warehouse, '*/10 * * * * *', logger, NO_ALERTS),
      'objection-check',
    );
    await cut;
    const runs = await runsOf('objection-check');
    expect(runs.map((run) => run.status)).toEqual(['failed', 'completed']);
    expect(runs[0]?.error).toMatch(/terminating connection/);
    expect(lines.some((line) => line.includes('trying again in'))).toBe(true);
    expect(lines.some((line) => line.includes('another scheduler took this trigger'))).toBe(false);
  });

  it('the nightly verify cut by a restart is tried again and really verifies', async () => {
    const cut = cutTheFirstQueryOn('records, record_versions');
    const lines = await scheduleUntilCompleted(
      (logger) => nightlyVerify(fx.warehouse, async () => fx.catalog, '*/5 * * * * *', logger, NO_ALERTS),
      'verify',
    );
    await cut;
    const runs = await runsOf('verify');
    expect(runs.map((run) => run.status)).toEqual(['failed', 'completed']);
    expect(runs[0]?.error).toMatch(/terminating connection/);
    expect(lines.some((line) => line.includes('another scheduler took this trigger'))).toBe(false);
  });

  it('a job that fails with an error of its own (not retried) leaves no run running', async () => {
    const { lines, logger } = recordingLogger();
    const before = (await runsOf('objection-check')).length;
    // A defect, not a fault: the table the check reads is not there.
    await fx.owner.raw('ALTER TABLE objections RENAME TO objections_away');
    const scheduler = startScheduler({
      pipelines: [],
      logger,
      runPipeline: async () => undefined,
      jobs: [dailyObjectionCheck(fx.warehouse, '*/5 * * * * *', logger, NO_ALERTS)],
    });
    try {
      for (let waited = 0; !lines.some((line) => line.includes('objection-check failed')); waited += 50) {
        expect(waited, lines.join('')).toBeLessThan(15_000);
        await sleep(50);
      }
    } finally {
      await scheduler.stop();
      await fx.owner.raw('ALTER TABLE objections_away RENAME TO objections');
    }
    const runs = (await runsOf('objection-check')).slice(before);
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.filter((run) => run.status === 'running')).toEqual([]);
    expect(runs[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/objections/) });
  });
});
