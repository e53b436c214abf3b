import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../src/warehouse/process-alive.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { type RunningCli, runCli, startCli } from './support/run-cli.ts';

// The embedded PostgreSQL (no DATABASE_URL) must not outlive every CLI process using it, also when the one that
// started it is killed with kill -9 (or by the out-of-memory killer), where no exit handler runs. Real server,
// real CLI processes.
describe('the embedded server never outlives the CLI processes using it', { timeout: 180_000 }, () => {
  let scratch: string;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let big: string;
  let other: string;

  beforeAll(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-embedded-life-'));
    // Run as root, postgres runs as OS user `postgres`, which must be able to enter the temp directory.
    chmodSync(scratch, 0o755);
    dataDir = path.join(scratch, 'postgres');
    env = {
      DATABASE_URL: '',
      CREDIT_ETL_PG_DIR: dataDir,
      CREDIT_ETL_LOG_FILE: path.join(scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: scratch,
    };
    big = writePenaltyCsv(scratch, 'big.csv', 100_000, { seed: 1 }).file;
    other = writePenaltyCsv(scratch, 'other.csv', 60_000, { seed: 2 }).file;
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

  it('kill -9 of the CLI that started it, mid-ingest: the server stops at once; the next command marks the run interrupted', async () => {
    const killed = startCli(ingest(big), env);
    await startedLoading(killed, 'big.csv');
    const pid = postmasterPid()!;
    expect(runs(pid)).toBe(true);
    killed.child.kill('SIGKILL');
    await killed.result;
    // Within the watchdog's own wait for a fast shutdown (30 s, then immediate): its shutdown checkpoint can take
    // seconds on a loaded machine.
    await waitFor(() => !runs(pid), 30_000);
    expect(postmasterPid()).toBeUndefined(); // a clean (fast) shutdown, not a crash
    await waitFor(() => watchdogsOf(dataDir).length === 0, WATCHDOG_EXIT_MS);

    const list = await runCli(['runs', 'list', '--json'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([{ status: 'interrupted' }]);
    expect(postmasterPid()).toBeUndefined();
    await waitFor(() => watchdogsOf(dataDir).length === 0, WATCHDOG_EXIT_MS); // the watchdog of its own server
  });

  it('CLIs share one server: others keep it after the starter is killed, and it stops when the last one ends', async () => {
    const starter = startCli(ingest(big), env);
    await startedLoading(starter, 'big.csv');
    const pid = postmasterPid()!;
    // A short command on the running server works and leaves it running.
    const list = await runCli(['runs', 'list'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(runs(pid)).toBe(true);

    const sharer = startCli(ingest(other), env);
    await startedLoading(sharer, 'other.csv');
    expect(postmasterPid()).toBe(pid);
    starter.child.kill('SIGKILL');
    await starter.result;
    await sleep(1_500); // the watchdog sees the starter gone within half a second
    expect(sharer.child.exitCode, 'the ingest sharing the server ended too soon to tell').toBeNull();
    expect(runs(pid)).toBe(true);

    const shared = await sharer.result;
    expect(shared.code, shared.stderr).toBe(0);
    expect(shared.stdout).toMatch(/other\.csv\s+loaded\s+60000/);
    // The last process using it waited for the server to stop.
    expect(runs(pid)).toBe(false);
    expect(postmasterPid()).toBeUndefined();
    await waitFor(() => watchdogsOf(dataDir).length === 0, WATCHDOG_EXIT_MS);
  });
});

/**
 * A watchdog sees its server gone within half a second and exits; a loaded machine may take seconds to run it (a
 * watchdog left behind would be there still, however long the wait).
 */
const WATCHDOG_EXIT_MS = 10_000;

const ingest = (file: string) => [
  'ingest',
  file,
  '--catalog',
  'xzcf',
  '--provider',
  '11370000MB2852362M',
  '--level',
  'province',
];

/** Once the CLI has the server and its run has begun reading `file`. */
async function startedLoading(cli: RunningCli, file: string): Promise<void> {
  for (let tries = 0; !cli.output().includes(`${file}: started`); tries++) {
    expect(tries, `the ingest of ${file} never started:\n${cli.output()}`).toBeLessThan(1200);
    await sleep(50);
  }
}

/** Running, not a zombie: a killed CLI's postmaster is reaped by init, which may take a moment. */
function runs(pid: number): boolean {
  if (!isAlive(pid)) return false;
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/\) [ZX] /.test(stat);
}

/** Pids of the watchdogs (`credit-etl postgres watchdog <pid> <dir>` in ps) of the server on `dataDir`. */
function watchdogsOf(dataDir: string): number[] {
  if (!existsSync('/proc/self')) return [];
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      const commandLine = readQuietly(`/proc/${entry}/cmdline`);
      return commandLine.startsWith('credit-etl postgres watchdog') && commandLine.includes(dataDir);
    })
    .map(Number);
}

function readQuietly(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}
