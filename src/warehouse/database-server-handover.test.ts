import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseServer, openDatabaseServer } from './database-server.ts';
import { isAlive } from './process-alive.ts';

// The process that started the embedded server ends while another still uses it: the server must stay up for
// that one (its transaction commits) and stop once it lets go. The starter is a child process (it must be able to
// end while the server runs on); the other user is this test process. Real server, temp data directory.
describe('the starter of the embedded server ends while another process uses it', {
  timeout: 120_000,
}, () => {
  let scratch: string;
  let dataDir: string;
  const children: ChildProcess[] = [];
  const servers: DatabaseServer[] = [];

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-handover-'));
    // Run as root, postgres runs as OS user `postgres`, which must be able to enter the temp directory.
    await chmod(scratch, 0o755);
    dataDir = path.join(scratch, 'postgres');
  });
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    for (const server of servers.splice(0)) await server.stop().catch(() => undefined);
  });
  afterAll(() => {
    const pid = postmasterPid();
    if (pid && runs(pid)) process.kill(pid, 'SIGINT');
    rmSync(scratch, { recursive: true, force: true });
  });

  const postmasterPid = () =>
    existsSync(path.join(dataDir, 'postmaster.pid'))
      ? Number.parseInt(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8'), 10)
      : undefined;

  /**
   * A child process that starts the server, prints `open <url>`, then on a line `stop` calls stop() (and prints
   * `stopped`), on a line `exit` calls process.exit(0) without stop(). After stop() it ends by itself.
   */
  const startStarter = async () => {
    const module = path.join(path.dirname(fileURLToPath(import.meta.url)), 'database-server.ts');
    const code = `
      const { openDatabaseServer } = await import(${JSON.stringify(module)});
      const server = await openDatabaseServer({ embeddedDataDir: ${JSON.stringify(dataDir)}, onLog: () => {} });
      console.log('open ' + server.url);
      process.stdin.setEncoding('utf8');
      process.stdin.on('data', async (text) => {
        if (text.includes('exit')) process.exit(0);
        if (!text.includes('stop')) return;
        process.stdin.destroy();
        await server.stop();
        console.log('stopped');
      });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    children.push(child);
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor(() => output.includes('\n') || child.exitCode !== null, 60_000);
    const url = /^open (\S+)/.exec(output)?.[1];
    if (!url) throw new Error(`the starter did not open the server: ${output}`);
    return { child, url, exited, output: () => output };
  };

  /** This process joins the server the starter runs, and opens a transaction on it. */
  const joinAndBegin = async () => {
    const server = await openDatabaseServer({ embeddedDataDir: dataDir, onLog: () => undefined });
    servers.push(server);
    const client = new pg.Client({ connectionString: server.url });
    client.on('error', () => undefined);
    await client.connect();
    await client.query('create table if not exists notes (note text)');
    await client.query('begin');
    await client.query("insert into notes values ('行政处罚')");
    return { server, client };
  };

  it('stop() by the starter hands the server over: the other user commits, and its stop() stops the server', async () => {
    const starter = await startStarter();
    const pid = postmasterPid()!;
    const user = await joinAndBegin();
    expect(user.server.url).toBe(starter.url);

    starter.child.stdin?.end('stop\n');
    // The starter ends by itself, the server running on for this process.
    expect(await starter.exited).toBe(0);
    expect(starter.output()).toContain('stopped');
    expect(runs(pid)).toBe(true);
    await user.client.query('commit');
    expect((await user.client.query('select count(*)::int as n from notes')).rows).toEqual([{ n: 1 }]);
    await user.client.end();

    // The last user: its stop() returns once the server has stopped.
    await user.server.stop();
    expect(runs(pid)).toBe(false);
    expect(postmasterPid()).toBeUndefined();
  });

  it('process.exit in the starter (no stop()) leaves the server to the watchdog: up for the other user, then stopped', async () => {
    const starter = await startStarter();
    const pid = postmasterPid()!;
    const user = await joinAndBegin();

    starter.child.stdin?.write('exit\n');
    expect(await starter.exited).toBe(0);
    await sleep(1_500); // past the watchdog's poll of the starter (half a second)
    expect(runs(pid)).toBe(true);
    await user.client.query('commit');
    expect((await user.client.query('select count(*)::int as n from notes')).rows).toEqual([{ n: 2 }]);
    await user.client.end();

    await user.server.stop();
    expect(runs(pid)).toBe(false);
    expect(postmasterPid()).toBeUndefined();
  });

  it('a starter ending as the only user still stops the server itself before stop() returns', async () => {
    const starter = await startStarter();
    const pid = postmasterPid()!;
    starter.child.stdin?.end('stop\n');
    await waitFor(() => starter.output().includes('stopped'), 60_000);
    expect(runs(pid)).toBe(false);
    expect(postmasterPid()).toBeUndefined();
    expect(await starter.exited).toBe(0);
  });
});

/** Running, not a zombie (a starter's postmaster is reaped by init once the starter has ended). */
function runs(pid: number): boolean {
  if (!isAlive(pid)) return false;
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/\) [ZX] /.test(stat);
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}
