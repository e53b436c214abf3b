import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type PipelineLock, tryPipelineLock } from '../src/warehouse/pipeline-lock.ts';
import { type CuttableProxy, openCuttableProxy } from './support/cuttable-proxy.ts';
import { inboxOf, writeDropFolderPipeline } from './support/drop-folder-pipeline.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { type RunningCli, runCli, startCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// Two `credit-etl run` of one pipeline, the first losing its database session mid-load: whichever way the lock's
// session ends, the two never load the delivery at the same time, and it is loaded once.
describe('a pipeline whose lock session is lost mid-run is never loaded twice at once (real PostgreSQL)', {
  timeout: 240_000,
}, () => {
  let fx: WarehouseFixture;
  let proxy: CuttableProxy;

  beforeAll(async () => {
    fx = await openWarehouseFixture('xlock_lost');
    proxy = await openCuttableProxy(fx.url);
  });
  // A test that failed early must not leave the next one a proxy that still refuses.
  afterEach(async () => proxy?.reopened());
  afterAll(async () => {
    await proxy?.close();
    await fx?.close();
  });

  /** A drop-folder pipeline retrying after 3 s, with a 100,000-row delivery of its own content in its inbox. */
  function pipelineWithDelivery(name: string, seed: number) {
    const inbox = inboxOf(fx, name);
    const env = writeDropFolderPipeline(fx, name, inbox, { retry: { attempts: 4, backoffSeconds: 3 } });
    writePenaltyCsv(inbox, 'big.csv', 100_000, { seed });
    return env;
  }

  async function untilCopying(running: RunningCli): Promise<void> {
    // As the owner: the engine's role may not read another session's query.
    const copying = async () =>
      (
        await fx.owner.raw(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY stage%'`,
        )
      ).rows.length > 0;
    for (let tries = 0; !(await copying()); tries++) {
      expect(tries, `the COPY into staging never started:\n${running.output()}`).toBeLessThan(1200);
      await sleep(50);
    }
  }

  /** The backend holding the pipeline's advisory lock (single bigint key: its low 32 bits are objid). */
  async function lockHolder(pipeline: string): Promise<number | undefined> {
    const { rows } = await fx.owner.raw(
      `SELECT pid FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND objsubid = 1
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND objid::bigint = (hashtext(?)::bigint & 4294967295)`,
      [`credit-etl:pipeline:${pipeline}`],
    );
    return rows[0]?.pid;
  }

  /** What the runs and the ledger say once both processes have ended. */
  async function outcome(pipeline: string) {
    const runs = await fx.warehouse('runs').where({ pipeline }).orderBy('id');
    const files = await fx
      .warehouse('source_files')
      .where({ name: 'big.csv' })
      .whereIn(
        'run_id',
        runs.map((run) => run.id),
      )
      .orderBy('started_at')
      .select('status', 'started_at', 'finished_at');
    const loaded = files.filter((file) => file.status === 'loaded');
    // Each unit of the delivery (loaded, or skipped as loaded already) ended before the next began.
    const overlapping = files.filter(
      (file, i) => i > 0 && file.started_at < (files[i - 1].finished_at ?? files[i - 1].started_at),
    );
    return { runs, loaded, overlapping };
  }

  const saysLocked = (output: string) => /pipeline \S+ is running in another process/.test(output);

  it('a restart (every connection of the first run cut, refused for 4 s): the two runs never load the delivery at once, it loads once', async () => {
    const env = pipelineWithDelivery('restarted', 11);
    const first = startCli(['run', 'restarted', '--json'], { ...env, DATABASE_URL: proxy.url });
    await untilCopying(first);
    proxy.cut(4_000);
    // Started while the first cannot reach the server: its lock is gone with its session.
    const second = startCli(['run', 'restarted', '--json'], env);
    const [a, b] = await Promise.all([first.result, second.result]);

    const { runs, loaded, overlapping } = await outcome('restarted');
    expect(overlapping, `first:\n${a.stderr}\nsecond:\n${b.stderr}`).toEqual([]);
    expect(loaded).toHaveLength(1);
    expect(runs.filter((run) => run.status === 'running')).toEqual([]);
    // The first run's attempt that the cut ended is stored failed with the connection fault.
    expect(runs[0]).toMatchObject({ status: 'failed' });
    expect(runs[0].error).toMatch(/database connection failed while loading big\.csv/);
  });

  it("the lock's session alone ended (terminated by an administrator): the run takes it back at once, a second run reports it locked", async () => {
    const env = pipelineWithDelivery('terminated', 12);
    const first = startCli(['run', 'terminated', '--json'], env);
    await untilCopying(first);
    const holder = await lockHolder('terminated');
    expect(holder, first.output()).toBeDefined();
    await fx.owner.raw('SELECT pg_terminate_backend(?)', [holder!]);
    const second = startCli(['run', 'terminated', '--json'], env);
    const [a, b] = await Promise.all([first.result, second.result]);

    expect(saysLocked(b.stderr), `first:\n${a.stderr}\nsecond:\n${b.stderr}`).toBe(true);
    expect(b.code).toBe(1);
    expect(a.code, a.stderr).toBe(0);
    const { runs, loaded, overlapping } = await outcome('terminated');
    expect(overlapping).toEqual([]);
    expect(loaded).toHaveLength(1);
    // The attempt that lost its lock let the file it was loading finish, took the lock back and found nothing
    // left: its run is the night's load, the loss a warning of it.
    expect(runs.map((run) => [run.status, run.attempts])).toEqual([['completed', 1]]);
    expect(runs[0].error).toMatch(/^⚠ the database session holding pipeline terminated's lock ended/);
    expect(runs[0].counts).toMatchObject({ read: 100_000 });
  });

  /** `run <name> --json`, its lock's backend terminated while the first file is being copied. */
  async function runTerminatedWhileCopying(name: string, env: NodeJS.ProcessEnv) {
    const running = startCli(['run', name, '--json'], env);
    await untilCopying(running);
    const holder = await lockHolder(name);
    expect(holder, running.output()).toBeDefined();
    await fx.owner.raw('SELECT pg_terminate_backend(?)', [holder!]);
    return running.result;
  }

  it("the lock's session ended while the last file loaded: the run is stored as its file loaded, the loss a warning, no failure", async () => {
    const env = pipelineWithDelivery('lost_at_end', 13);
    const result = await runTerminatedWhileCopying('lost_at_end', env);

    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    // What the run loaded, not an empty retry's nothing.
    expect(summary).toMatchObject({
      status: 'completed',
      counts: { read: 100_000 },
      files: [{ name: 'big.csv', status: 'loaded' }],
      warnings: [{ code: 'pipeline-lock-lost' }],
    });
    expect(summary.warnings[0].message).toMatch(
      /session holding pipeline lost_at_end's lock ended .*\(terminating connection due to administrator command\).*nothing was left to load/,
    );
    const runs = await fx.warehouse('runs').where({ pipeline: 'lost_at_end' }).orderBy('id');
    expect(runs.map((run) => [run.id, run.status, run.attempts])).toEqual([[summary.runId, 'completed', 1]]);
    expect(runs[0].error).toMatch(/^⚠ the database session holding pipeline lost_at_end's lock ended/);
    // The night is no failure: `runs list --status failed` has nothing to show.
    const failed = await runCli(
      ['runs', 'list', '--status', 'failed', '--pipeline', 'lost_at_end', '--json'],
      env,
    );
    expect(failed.code, failed.stderr).toBe(0);
    expect(JSON.parse(failed.stdout)).toEqual([]);
    expect(readFileSync(env.CREDIT_ETL_LOG_FILE!, 'utf8')).toMatch(/"code":"pipeline-lock-lost"/);
  });

  it("the lock's session ended with a file left: that attempt stops and the next, under the lock taken again, loads it", async () => {
    const env = pipelineWithDelivery('lost_file_left', 14);
    // After big.csv, in name order: still in the inbox when the lock is lost.
    writePenaltyCsv(path.join(fx.scratch, 'lost_file_left', 'inbox'), 'later.csv', 500, { seed: 15 });
    const result = await runTerminatedWhileCopying('lost_file_left', env);

    expect(result.code, result.stderr).toBe(0);
    const runs = await fx.warehouse('runs').where({ pipeline: 'lost_file_left' }).orderBy('id');
    expect(runs.map((run) => [run.status, run.attempts])).toEqual([
      ['failed', 1],
      ['completed', 2],
    ]);
    expect(runs[0].error).toMatch(/session holding pipeline lost_file_left's lock ended/);
    expect(runs[0].counts).toMatchObject({ read: 100_000 });
    expect(runs[1].counts).toMatchObject({ read: 500 });
    expect(JSON.parse(result.stdout)).toMatchObject({ runId: runs[1].id, status: 'completed' });
  });

  it('a restart after a file committed, another process taking the lock meanwhile: `run` says what its attempt loaded, not "nothing done"', async () => {
    const env = pipelineWithDelivery('taken_meanwhile', 16);
    // Before big.csv, in name order: committed when the cut comes during big.csv's COPY.
    writePenaltyCsv(path.join(fx.scratch, 'taken_meanwhile', 'inbox'), 'a-small.csv', 500, { seed: 17 });
    const first = startCli(['run', 'taken_meanwhile', '--json'], { ...env, DATABASE_URL: proxy.url });
    // The small file committed and the big one being copied (as the owner: see untilCopying).
    const ready = async () =>
      (await fx.warehouse('source_files').where({ name: 'a-small.csv', status: 'loaded' })).length > 0 &&
      (
        await fx.owner.raw(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY stage%'`,
        )
      ).rows.length > 0;
    for (let tries = 0; !(await ready()); tries++) {
      expect(tries, `the big file's COPY never started:\n${first.output()}`).toBeLessThan(1200);
      await sleep(50);
    }
    proxy.cut(5_000);
    // Another process takes the lock while the first cannot reach the server (its lock's session is gone).
    let held: PipelineLock | undefined;
    for (let tries = 0; !held; tries++) {
      expect(tries, `the lock was never free:\n${first.output()}`).toBeLessThan(80);
      held = await tryPipelineLock(fx.warehouse, 'taken_meanwhile');
      if (!held) await sleep(50);
    }
    const result = await first.result.finally(() => held.release());

    expect(result.code, result.stderr).toBe(1);
    const runs = await fx.warehouse('runs').where({ pipeline: 'taken_meanwhile' }).orderBy('id');
    expect(runs.map((run) => [run.status, run.attempts])).toEqual([['failed', 1]]);
    expect(runs[0].counts).toMatchObject({ read: 500 });
    const said = new RegExp(
      `pipeline taken_meanwhile is running in another process, which took its lock after this run's database ` +
        `session was lost: this run had loaded 1 file by then \\(run ${runs[0].id}, stored failed\\); attempt \\d+ ` +
        'found the pipeline locked and did no more',
    );
    expect(result.stderr).toMatch(said);
    expect(result.stderr).not.toMatch(/nothing done/);
    const failure = JSON.parse(result.stdout);
    expect(failure).toMatchObject({ status: 'locked', exitCode: 1, runId: runs[0].id });
    expect(failure.error).toMatch(said);
  });
});
