import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  handOverServer,
  joinRunningServer,
  joinWatchdog,
  spawnWatchdog,
  watchdogAddress,
  watchStartedServer,
} from './postgres-watchdog.ts';
import { isAlive } from './process-alive.ts';

// The watchdog's rules with stand-ins, no PostgreSQL: a "server" that takes `stopMs` to stop on SIGINT (as a fast
// shutdown does), a "starter" that sleeps, users that join over the socket. A second each at most.
describe('the watchdog of the embedded server', () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-watchdog-'));
  const logFile = path.join(scratch, 'watchdog.log');
  const started: ChildProcess[] = [];
  afterEach(() => {
    for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  // It prints when it got the SIGINT, by its own clock: a loaded machine may let the test read that line late.
  // Used once it says `ready`: before its handler is set, a SIGINT would end it as if it had no shutdown to do.
  const serverStandIn = async (stopMs: number) => {
    const server = track(
      spawn(process.execPath, [
        '-e',
        `process.on('SIGINT', () => { console.log('stopping at', Date.now()); setTimeout(() => process.exit(0), ${stopMs}); }); console.log('ready'); setInterval(() => {}, 1000)`,
      ]),
    );
    await new Promise((resolve, reject) => {
      server.stdout?.once('data', resolve);
      server.once('exit', (code) =>
        reject(new Error(`the server stand-in ended (${code}) before it was ready`)),
      );
    });
    return server;
  };
  const starterStandIn = () => track(spawn('sleep', ['60']));
  const track = (child: ChildProcess) => {
    started.push(child);
    return child;
  };
  const watch = (server: ChildProcess, starter?: ChildProcess) => {
    const address = watchdogAddress(path.join(scratch, randomBytes(4).toString('hex')), server.pid!);
    const pid = spawnWatchdog({
      address,
      pid: server.pid!,
      dataDir: scratch,
      logFile,
      starter: starter?.pid,
    });
    return { address, pid: pid! };
  };

  it('stops the server once its starter is killed and nobody joined it, then exits', async () => {
    const server = await serverStandIn(0);
    const starter = starterStandIn();
    const watchdog = watch(server, starter);
    await listening(watchdog.address);
    await sleep(700);
    expect(server.exitCode).toBeNull(); // its starter still lives
    starter.kill('SIGKILL');
    await waitFor(() => server.exitCode !== null);
    await waitFor(() => !isAlive(watchdog.pid));
    expect(readFileSync(logFile, 'utf8')).toContain(`(pid ${server.pid}) any more: stopping it`);
  });

  it('keeps the server while a user remains; the last one to leave returns once the server has stopped', async () => {
    const server = await serverStandIn(2_000);
    const starter = starterStandIn();
    const watchdog = watch(server, starter);
    const first = await joinWatchdog(watchdog.address, WATCHDOG_LISTENS_MS);
    const second = await joinWatchdog(watchdog.address);
    if (first.status !== 'joined' || second.status !== 'joined') throw new Error('not joined');
    starter.kill('SIGKILL');
    await sleep(700); // past the watchdog's poll of the starter
    await first.membership.leave();
    expect(server.exitCode).toBeNull();

    const stopping = new Promise<string>((resolve) =>
      server.stdout?.once('data', (chunk) => resolve(String(chunk))),
    );
    const leaving = second.membership.leave();
    // The watchdog sent the server its SIGINT: it takes 2 s to stop. Timed from the server's own stamp, not from
    // when this process read its line (later, on a loaded machine, which shortened the 2 s measured here).
    const signalled = Number(/stopping at (\d+)/.exec(await stopping)?.[1]);
    // While it stops the server, a newcomer is told to wait for it and start another.
    expect((await joinWatchdog(watchdog.address)).status).toBe('stopping');
    await leaving;
    // Returned once the server had stopped, not at its SIGINT (its pid may still answer a moment, a zombie until
    // this process reaps it: the exit is awaited, not asked of the pid).
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(1_900);
    await waitFor(() => server.exitCode !== null);
    await waitFor(() => !isAlive(watchdog.pid));
  });

  it('counts a user killed without leaving as gone', async () => {
    const server = await serverStandIn(0);
    const watchdog = watch(server); // found running without a watchdog: no starter
    const address = JSON.stringify(watchdog.address);
    // It connects until the watchdog listens: on a loaded machine this node may start before the watchdog does,
    // and a refused connection would end it before it ever joined.
    const user = track(
      spawn(process.execPath, [
        '-e',
        `const join = () => require('node:net').connect(${address}).once('data', () => console.log('joined')).once('error', () => setTimeout(join, 25));
        join(); setInterval(() => {}, 1000)`,
      ]),
    );
    // Killed only once the watchdog counted it (a node start takes seconds on a loaded machine).
    await new Promise((resolve, reject) => {
      user.stdout?.once('data', resolve);
      user.once('exit', (code) => reject(new Error(`the user ended (${code}) before it joined`)));
    });
    await sleep(300);
    expect(server.exitCode).toBeNull();
    user.kill('SIGKILL');
    await waitFor(() => server.exitCode !== null);
  });

  it('a server reused while its watchdog was still starting keeps that watchdog, and runs on for its starter', async () => {
    const server = await serverStandIn(0);
    const starter = starterStandIn();
    const address = watchdogAddress(path.join(scratch, randomBytes(4).toString('hex')), server.pid!);
    const options = { address, pid: server.pid!, dataDir: scratch, logFile };
    const watchdog = watchStartedServer({ ...options, starter: starter.pid! });
    // A node start that takes seconds, as on a loaded machine: it cannot listen before it is continued.
    process.kill(watchdog.pid!, 'SIGSTOP');
    const resume = () => signalQuietly(watchdog.pid!, 'SIGCONT');
    const resuming = setTimeout(resume, 2_500);
    try {
      // The starter, before it lets go of the start lock; then a process reusing the server, under that lock.
      expect(await watchdog.listening()).toBe(true);
      const reuser = await joinRunningServer(options, () => undefined);
      if (reuser.status !== 'joined') throw new Error(`not joined: ${reuser.status}`);
      await reuser.membership.leave();
    } finally {
      clearTimeout(resuming);
      resume();
    }
    await sleep(1_000); // past the watchdog's poll
    // Its last joined user left, but its starter lives: the server runs on, watched by the starter's watchdog.
    expect(server.exitCode).toBeNull();
    expect(isAlive(watchdog.pid)).toBe(true);
    starter.kill('SIGKILL');
    await waitFor(() => server.exitCode !== null);
    await waitFor(() => !isAlive(watchdog.pid));
  });

  it('a starter handing over while another user remains: kept, and the server stops once that user leaves', async () => {
    const server = await serverStandIn(0);
    const starter = starterStandIn();
    const watchdog = watch(server, starter);
    const user = await joinWatchdog(watchdog.address, WATCHDOG_LISTENS_MS);
    if (user.status !== 'joined') throw new Error(`not joined: ${user.status}`);
    const handed = await handOverServer(watchdog.address);
    expect(handed.kept).toBe(true);
    await sleep(700); // past the watchdog's poll
    expect(server.exitCode).toBeNull();
    // The starter still lives, but it left: the last user's leaving stops the server.
    await user.membership.leave();
    await waitFor(() => server.exitCode !== null);
    await waitFor(() => !isAlive(watchdog.pid));
    expect(starter.exitCode).toBeNull();
  });

  it('a watchdog slow to answer a handover (a loaded machine) is waited for: the server another user keeps runs on', async () => {
    const server = await serverStandIn(0);
    const watchdog = watch(server, starterStandIn());
    const user = await joinWatchdog(watchdog.address, WATCHDOG_LISTENS_MS);
    if (user.status !== 'joined') throw new Error(`not joined: ${user.status}`);
    // Its answer comes 7 s late: taken for no answer, the starter would stop the server under its user.
    process.kill(watchdog.pid, 'SIGSTOP');
    const resuming = setTimeout(() => signalQuietly(watchdog.pid, 'SIGCONT'), 7_000);
    try {
      expect((await handOverServer(watchdog.address)).kept).toBe(true);
    } finally {
      clearTimeout(resuming);
      signalQuietly(watchdog.pid, 'SIGCONT');
    }
    await user.membership.leave();
    await waitFor(() => server.exitCode !== null);
  });

  it('a starter handing over as the last user stops the server itself; newcomers wait; its death leaves it to the watchdog', async () => {
    const server = await serverStandIn(0);
    const starter = starterStandIn();
    const watchdog = watch(server, starter);
    await listening(watchdog.address);
    const handed = await handOverServer(watchdog.address);
    expect(handed.kept).toBe(false);
    // Stopping it is up to the starter: a newcomer is told the server is going away.
    expect((await joinWatchdog(watchdog.address)).status).toBe('stopping');
    await sleep(700);
    expect(server.exitCode).toBeNull();
    // The starter lets go without having stopped it (it died, or failed): the watchdog stops it.
    handed.release();
    await waitFor(() => server.exitCode !== null);
    await waitFor(() => !isAlive(watchdog.pid));
  });

  it('exits when the server stops otherwise (its starter stopped it)', async () => {
    const server = await serverStandIn(0);
    const watchdog = watch(server, starterStandIn());
    await listening(watchdog.address);
    server.kill('SIGINT');
    await waitFor(() => !isAlive(watchdog.pid));
    expect((await joinWatchdog(watchdog.address)).status).toBe('absent');
  });
});

/** Once the watchdog listens: joins it and lets go at once. */
async function listening(address: string): Promise<void> {
  const joined = await joinWatchdog(address, WATCHDOG_LISTENS_MS);
  if (joined.status !== 'joined') throw new Error(`the watchdog did not answer: ${joined.status}`);
  joined.membership.drop();
}

/** How long a watchdog just spawned may take to listen: a node start, which takes seconds on a loaded machine. */
const WATCHDOG_LISTENS_MS = 30_000;

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {} // gone already
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Bounded well within the test's 60 s: on a loaded machine a process may take seconds to act on a signal or exit. */
async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}
