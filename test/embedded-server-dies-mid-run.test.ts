import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../src/warehouse/process-alive.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { type RunningCli, runCli, startCli } from './support/run-cli.ts';

// On the embedded default (no DATABASE_URL) the command owns its server: when that server dies under it (kill -9
// of the postmaster), waiting for it to come back is waiting for nothing. The command starts it again to store its
// run `failed` with the database's reason, instead of leaving it `running` for the next command to call
// `interrupted`; and at once, not after waiting for it as for a server that restarts. Real server, real CLI.
describe('the embedded server dies under an ingest or a pipeline run', { timeout: 240_000 }, () => {
  let scratch: string;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let big: string;

  beforeAll(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-embedded-dies-'));
    // Run as root, postgres runs as OS user `postgres`, which must be able to enter the temp directory.
    chmodSync(scratch, 0o755);
    dataDir = path.join(scratch, 'postgres');
    env = {
      DATABASE_URL: '',
      CREDIT_ETL_PG_DIR: dataDir,
      CREDIT_ETL_LOG_FILE: path.join(scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: scratch,
    };
    // Big enough to be still loading when its server is killed.
    big = writePenaltyCsv(scratch, 'big.csv', 200_000, { seed: 1 }).file;
  });
  afterAll(() => {
    // A failed case may leave its server: stop it, so that no test run leaves a PostgreSQL behind.
    const pid = postmasterPid();
    if (pid && runs(pid)) process.kill(pid, 'SIGINT');
    rmSync(scratch, { recursive: true, force: true });
  });

  const postmasterPid = () =>
    existsSync(path.join(dataDir, 'postmaster.pid'))
      ? Number.parseInt(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8'), 10)
      : undefined;

  it('kill -9 of the postmaster mid-ingest: exit 1, and the run named in --json is stored failed with the database reason', async () => {
    const cli = startCli(
      [
        'ingest',
        big,
        '--catalog',
        'xzcf',
        '--provider',
        '11370000MB2852362M',
        '--level',
        'province',
        '--json',
      ],
      env,
    );
    await startedLoading(cli, 'big.csv');
    const pid = postmasterPid()!;
    expect(runs(pid)).toBe(true);
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();

    const ingest = await cli.result;
    expect(ingest.code, ingest.stderr).toBe(1);
    // The dead server is not waited for as a restarting one would be (RUN_ENDING_RETRY: 22 s at the least): the run's
    // end gives up on it at its first retry, and the server opened again takes it.
    expect(Date.now() - killedAt, ingest.stderr).toBeLessThan(20_000);
    const failure = JSON.parse(ingest.stdout) as { status: string; runId: number; error: string };
    expect(failure).toMatchObject({ status: 'failed', runId: expect.any(Number) });
    expect(failure.error).toMatch(/database/);
    // No PostgreSQL left running: the server started again to store the run was stopped as the command ended.
    const left = postmasterPid();
    expect(left !== undefined && runs(left), `postmaster ${left} still runs`).toBe(false);

    // Stored before the process ended: the next command finds it `failed`, not `running` for it to call interrupted.
    const shown = await runCli(['runs', 'show', String(failure.runId), '--json'], env);
    expect(shown.code, shown.stderr).toBe(0);
    const run = JSON.parse(shown.stdout) as { status: string; error: string | null };
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/database connection failed/);
    expect(shown.stderr).not.toMatch(/marked interrupted/);
    expect(ingest.stderr).not.toMatch(/could not mark this process's runs/);
    expect(ingest.stderr).toMatch(/embedded PostgreSQL .* ended under this command: starting it again/);
  });

  it('kill -9 of the postmaster mid-run of a pipeline: exit 1 within seconds, no attempt waits for it, no run left running', async () => {
    // A drop-folder pipeline over the big file, with the default retry (3 attempts, 30 s apart): as an operator has it.
    const inbox = path.join(scratch, 'inbox');
    const pipelines = path.join(scratch, 'pipelines');
    mkdirSync(inbox);
    mkdirSync(pipelines);
    copyFileSync(big, path.join(inbox, 'big-drop.csv'));
    writeFileSync(
      path.join(pipelines, 'province-xzcf.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370000MB2852362M',
        level: 'province',
        transport: { type: 'drop-folder', directory: inbox, markerSuffixes: [], stableSizeMs: 0 },
      }),
    );
    const runEnv = {
      ...env,
      CREDIT_ETL_PIPELINES_DIR: pipelines,
      CREDIT_ETL_STAGING_DIR: path.join(scratch, 'staging'),
    };
    const cli = startCli(['run', 'province-xzcf', '--json'], runEnv);
    await startedLoading(cli, 'big-drop.csv');
    const pid = postmasterPid()!;
    expect(runs(pid)).toBe(true);
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();

    const run = await cli.result;
    const seconds = (Date.now() - killedAt) / 1000;
    console.log(`run exited ${seconds.toFixed(1)} s after the postmaster was killed`);
    expect(run.code, run.stderr).toBe(1);
    // Neither the attempt's end, nor its count, nor another attempt waits for the dead server (RUN_ENDING_RETRY: 22 s
    // at the least; the pipeline's retry: 30 s before its second attempt).
    expect(seconds, run.stderr).toBeLessThan(20);
    const failure = JSON.parse(run.stdout) as { status: string; runId: number; error: string };
    expect(failure).toMatchObject({ status: 'failed', runId: expect.any(Number) });
    expect(failure.error).toMatch(/database/);
    const left = postmasterPid();
    expect(left !== undefined && runs(left), `postmaster ${left} still runs`).toBe(false);

    // Stored before the process ended: failed with the database's reason, and no run of the pipeline left running.
    const shown = await runCli(['runs', 'show', String(failure.runId), '--json'], runEnv);
    expect(shown.code, shown.stderr).toBe(0);
    const stored = JSON.parse(shown.stdout) as { status: string; error: string | null; pipeline: string };
    expect(stored).toMatchObject({ status: 'failed', pipeline: 'province-xzcf' });
    expect(stored.error).toMatch(/database connection failed/);
    expect(shown.stderr).not.toMatch(/marked interrupted/);
    const listed = await runCli(['runs', 'list', '--pipeline', 'province-xzcf', '--json'], runEnv);
    expect(listed.code, listed.stderr).toBe(0);
    const pipelineRuns = JSON.parse(listed.stdout) as { id: number; status: string }[];
    expect(pipelineRuns.filter((row) => row.status === 'running')).toEqual([]);
    expect(run.stderr).not.toMatch(/could not mark this process's runs/);
    expect(run.stderr).toMatch(/embedded PostgreSQL .* ended under this command: starting it again/);
  }, 420_000);

  // A long-lived command on the embedded default: the server killed under it never comes back by itself. Retrying
  // against it forever (as against a server that restarts) would look alive while doing nothing: it says so, stores
  // the run it was working `failed` on the server opened again, and exits 1 for systemd or the operator.
  it('kill -9 of the postmaster under a worker running a queued run: exit 1 within seconds, the run stored failed', async () => {
    const inbox = path.join(scratch, 'worker-inbox');
    const pipelines = path.join(scratch, 'worker-pipelines');
    mkdirSync(inbox);
    mkdirSync(pipelines);
    copyFileSync(big, path.join(inbox, 'big-worker.csv'));
    writeFileSync(
      path.join(pipelines, 'worker-xzcf.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370000MB2852362M',
        level: 'province',
        transport: { type: 'drop-folder', directory: inbox, markerSuffixes: [], stableSizeMs: 0 },
      }),
    );
    const workerEnv = {
      ...env,
      CREDIT_ETL_PIPELINES_DIR: pipelines,
      CREDIT_ETL_STAGING_DIR: path.join(scratch, 'worker-staging'),
    };
    const queued = await runCli(['run', 'worker-xzcf', '--enqueue'], workerEnv);
    expect(queued.code, queued.stderr).toBe(0);
    const cli = startCli(['worker'], workerEnv);
    // A worker logs its run's start (`run N started: catalog xzcf`), then reads the file for seconds.
    for (let tries = 0; !/run \d+ started: catalog xzcf/.test(cli.output()); tries++) {
      expect(tries, `the queued run never started:\n${cli.output()}`).toBeLessThan(1200);
      await sleep(50);
    }
    await sleep(500);
    const pid = postmasterPid()!;
    expect(runs(pid)).toBe(true);
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();

    const worker = await endedWithin(cli, 30_000);
    const seconds = (Date.now() - killedAt) / 1000;
    console.log(`worker exited ${seconds.toFixed(1)} s after the postmaster was killed`);
    expect(worker.code, worker.stderr).toBe(1);
    expect(seconds, worker.stderr).toBeLessThan(20);
    expect(worker.stderr).toMatch(/ended under this command .* nothing starts it again: stopping \(exit 1\)/);
    expect(worker.stderr).not.toMatch(/could not mark this process's runs/);
    const left = postmasterPid();
    expect(left !== undefined && runs(left), `postmaster ${left} still runs`).toBe(false);

    const listed = await runCli(['runs', 'list', '--pipeline', 'worker-xzcf', '--json'], workerEnv);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).not.toMatch(/marked interrupted/);
    const stored = JSON.parse(listed.stdout) as { id: number; status: string }[];
    expect(stored.map((row) => row.status)).toEqual(['failed']);
  }, 300_000);

  it('kill -9 of the postmaster under schedule: exit 1 within seconds, not retrying forever', async () => {
    const pipelines = path.join(scratch, 'schedule-pipelines');
    mkdirSync(pipelines);
    writeFileSync(
      path.join(pipelines, 'nightly-xzcf.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370000MB2852362M',
        level: 'province',
        transport: { type: 'drop-folder', directory: pipelines, markerSuffixes: [], stableSizeMs: 0 },
        schedule: { cron: '0 2 * * *' },
      }),
    );
    const cli = startCli(['schedule', '--with-worker'], { ...env, CREDIT_ETL_PIPELINES_DIR: pipelines });
    for (let tries = 0; !cli.output().includes('worker started'); tries++) {
      expect(tries, `the scheduler never started:\n${cli.output()}`).toBeLessThan(1200);
      await sleep(50);
    }
    const pid = postmasterPid()!;
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();

    const schedule = await endedWithin(cli, 30_000);
    expect(schedule.code, schedule.stderr).toBe(1);
    expect(Date.now() - killedAt, schedule.stderr).toBeLessThan(20_000);
    expect(schedule.stderr).toMatch(
      /ended under this command .* nothing starts it again: stopping \(exit 1\)/,
    );
    const left = postmasterPid();
    expect(left !== undefined && runs(left), `postmaster ${left} still runs`).toBe(false);
  }, 120_000);
});

/** The command's end, or, when it still runs after `ms`, a SIGKILL and an end said so (code null). */
async function endedWithin(cli: RunningCli, ms: number) {
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), ms);
  try {
    return await cli.result;
  } finally {
    clearTimeout(timer);
  }
}

/** Once the CLI has the server and its run has begun reading `file`. */
async function startedLoading(cli: RunningCli, file: string): Promise<void> {
  for (let tries = 0; !cli.output().includes(`${file}: started`); tries++) {
    expect(tries, `the ingest of ${file} never started:\n${cli.output()}`).toBeLessThan(1200);
    await sleep(50);
  }
}

/** Running, not a zombie. */
function runs(pid: number): boolean {
  if (!isAlive(pid)) return false;
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/\) [ZX] /.test(stat);
}
