import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { joinRunningServer, watchdogAddress } from './postgres-watchdog.ts';
import { isAlive } from './process-alive.ts';
import { readPassword, serverUrl, withClient } from './server-connection.ts';
import type { LogTail } from './server-log.ts';
import { START_TIMEOUT_MS, STOP_TIMEOUT_MS } from './server-timeouts.ts';

const REUSE_ATTEMPTS = 3;

/**
 * Joins the server another process runs on `dataDir`: its watchdog then keeps it running while this process
 * lives. Undefined when none runs, or when the one found was stopping (its last user had just left).
 */
export async function reuseRunningServer(dataDir: string, log: LogTail, watchdogLog: string | undefined) {
  for (let attempt = 1; ; attempt++) {
    const running = await findRunningServer(dataDir, log);
    if (!running) return undefined;
    const address = watchdogAddress(await realpathOr(dataDir), running.pid);
    // Its starter saw its watchdog listen before it let go of the start lock; without one, the server is adopted.
    const joined = await joinRunningServer(
      { address, pid: running.pid, dataDir, logFile: watchdogLog },
      (line) => log.write(line),
    );
    if (joined.status === 'stopping') {
      if (attempt < REUSE_ATTEMPTS && (await waitUntilStopped(running.pid))) continue;
      throw new Error(
        `the embedded PostgreSQL in ${dataDir} (pid ${running.pid}) is being stopped and does not stop: ` +
          'kill it by hand, then retry.',
      );
    }
    const membership = joined.status === 'joined' ? joined.membership : undefined;
    // Without a watchdog (it could not start), the server is used as is, as by a process that is not its starter.
    if (!membership) log.write(`the watchdog of the embedded PostgreSQL (pid ${running.pid}) did not start`);
    try {
      const password = await readPassword(`${dataDir}.password`, dataDir);
      await waitUntilServing(serverUrl(password, running.port, 'postgres'), dataDir, running.pid);
      let leaving: Promise<void> | undefined;
      const stop = async () => {
        leaving ??= membership?.leave();
        await leaving;
      };
      // Killed or crashed under its users (this process only lets go of it): a new one is started on the next open.
      const gone = async () =>
        leaving === undefined && !(isAlive(running.pid) && (await isPostgresProcess(running.pid)));
      return { password, server: { port: running.port, stop, gone } };
    } catch (error) {
      membership?.drop();
      throw error;
    }
  }
}

async function waitUntilStopped(pid: number): Promise<boolean> {
  const deadline = Date.now() + STOP_TIMEOUT_MS + 10_000;
  while (isAlive(pid) && (await isPostgresProcess(pid))) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

interface PostmasterPid {
  pid: number;
  port: number;
}

async function readPostmasterPid(dataDir: string): Promise<PostmasterPid | undefined> {
  const text = await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? { pid, port } : undefined;
}

/** The server another live process runs on `dataDir`, if any. A dead pid is left to postgres (it ignores it). */
async function findRunningServer(dataDir: string, log: LogTail): Promise<PostmasterPid | undefined> {
  const found = await readPostmasterPid(dataDir);
  if (!found || !isAlive(found.pid)) return undefined;
  if (await isPostgresProcess(found.pid)) return found;
  // A zombie or a reused pid: postgres would refuse to start while the file names a pid that answers kill -0.
  log.write(`removing stale postmaster.pid: pid ${found.pid} is no longer a running postgres`);
  await fs.rm(path.join(dataDir, 'postmaster.pid'), { force: true });
  return undefined;
}

async function isPostgresProcess(pid: number): Promise<boolean> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return true; // no /proc to ask (not Linux): trust the live pid
  const state = stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
  if (state === 'Z' || state === 'X') return false;
  const commandLine = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => 'postgres');
  return commandLine.includes('postgres');
}

async function waitUntilServing(url: string, dataDir: string, pid: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      const servedDir = await withClient(url, async (client) => {
        return String((await client.query("select current_setting('data_directory') as dir")).rows[0]?.dir);
      });
      if ((await realpathOr(servedDir)) !== (await realpathOr(dataDir))) {
        throw new Error(`the server on this port serves ${servedDir}`);
      }
      return;
    } catch (error) {
      if (Date.now() > deadline || !isAlive(pid)) {
        throw new Error(
          `embedded PostgreSQL in ${dataDir} is run by live pid ${pid} but does not answer: ${message(error)}. ` +
            `Stop that process, or delete ${path.join(dataDir, 'postmaster.pid')} if it is not PostgreSQL.`,
          { cause: error },
        );
      }
      await sleep(250);
    }
  }
}

async function realpathOr(file: string): Promise<string> {
  return fs.realpath(file).catch(() => file);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
