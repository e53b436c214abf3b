import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { chmod, lchown, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseServer, openDatabaseServer } from './database-server.ts';
import { isAlive } from './process-alive.ts';

const isRoot = process.getuid?.() === 0;

// These start the real embedded PostgreSQL in a temp directory (never the TEST_DATABASE_URL server). They share
// one data directory and run in order: initialise once (a few seconds), then restart it (well under a second).
describe('openDatabaseServer (embedded)', () => {
  let scratch: string;
  let dataDir: string;
  const servers: DatabaseServer[] = [];
  const open = async (onLog?: (line: string) => void) => {
    const server = await openDatabaseServer({ embeddedDataDir: dataDir, ...(onLog ? { onLog } : {}) });
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-database-server-'));
    // Run as root, postgres runs as OS user `postgres`, which must be able to enter the temp directory.
    await chmod(scratch, 0o755);
    dataDir = path.join(scratch, 'postgres');
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('passes a given URL through untouched', async () => {
    const server = await openDatabaseServer({
      databaseUrl: 'postgres://u@db:5432/w',
      embeddedDataDir: dataDir,
    });
    expect(server).toMatchObject({ url: 'postgres://u@db:5432/w', embedded: false });
    await server.stop();
  });

  it('leaves signals and the exit code to the caller (the library would stop the server and exit, 0 on beforeExit)', async () => {
    const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'exit'] as const;
    const counts = () => events.map((event) => process.listenerCount(event));
    const before = counts();
    const server = await open();
    // None of its own either once its watchdog listens: ended without stop(), this process leaves the server to
    // the watchdog, which stops it unless another process still uses it.
    expect(counts()).toEqual(before);
    await server.stop();
    expect(counts()).toEqual(before);
  });

  it('initialises the data directory on first start and serves the credit_etl database', async () => {
    const server = await open();
    expect(server.embedded).toBe(true);
    expect(readFileSync(path.join(dataDir, 'PG_VERSION'), 'utf8').trim()).toBe('18');
    expect(await sql(server.url, 'select current_database() as db, 1 as one')).toEqual([
      { db: 'credit_etl', one: 1 },
    ]);
    expect(new URL(server.url).hostname).toBe('127.0.0.1');
    await sql(server.url, "create table kept (note text); insert into kept values ('行政处罚')");
    // Server log lines go to the log file beside the data directory, not to the console.
    expect(readFileSync(path.join(scratch, 'embedded-postgres.log'), 'utf8')).toContain(
      'ready to accept connections',
    );
    await server.stop();
    await server.stop();
    await expect(sql(server.url, 'select 1')).rejects.toThrow();
  });

  it('restarts an existing data directory and keeps its data', async () => {
    const lines: string[] = [];
    const server = await open((line) => lines.push(line));
    expect(await sql(server.url, 'select note from kept')).toEqual([{ note: '行政处罚' }]);
    expect(lines.join('\n')).toContain('ready to accept connections');
    await server.stop();
  });

  it('starts again after the postmaster was killed with kill -9 (stale postmaster.pid)', async () => {
    const server = await open(() => undefined);
    const pid = await postmasterPid(dataDir);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid));
    await server.stop(); // must not hang on a server that is already gone
    expect(await postmasterPid(dataDir)).toBe(pid);

    const restarted = await open(() => undefined);
    expect(await postmasterPid(dataDir)).not.toBe(pid);
    expect(await sql(restarted.url, 'select note from kept')).toEqual([{ note: '行政处罚' }]);
    await restarted.stop();
  });

  it.runIf(isRoot)('as root, takes over a data directory left owned by root', async () => {
    await chownTree(dataDir, 0, 0);
    const server = await open(() => undefined);
    expect(statSync(path.join(dataDir, 'PG_VERSION')).uid).not.toBe(0);
    expect(await sql(server.url, 'select note from kept')).toEqual([{ note: '行政处罚' }]);
    await server.stop();
  });

  it.runIf(isRoot)('as root, says what to do when OS user postgres cannot reach the directory', async () => {
    const closed = path.join(scratch, 'closed');
    mkdirSync(closed, { mode: 0o700 });
    await expect(openDatabaseServer({ embeddedDataDir: path.join(closed, 'postgres') })).rejects.toThrow(
      /cannot reach .*chmod o\+x/,
    );
  });

  it('reuses a server that is already running on the data directory, and leaves it running', async () => {
    const owner = await open(() => undefined);
    const pid = await postmasterPid(dataDir);
    const second = await open(() => undefined);
    expect(second.url).toBe(owner.url);
    expect(second.embedded).toBe(true);
    expect(await postmasterPid(dataDir)).toBe(pid);
    await second.stop();
    expect(await sql(owner.url, 'select count(*)::int as n from kept')).toEqual([{ n: 1 }]);
    await owner.stop();
    expect(isAlive(pid)).toBe(false);
  });
});

async function sql(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const result = await client.query(text);
    return (Array.isArray(result) ? result.at(-1) : result).rows;
  } finally {
    await client.end();
  }
}

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await lchown(dir, uid, gid);
  for (const entry of await readdir(dir, { recursive: true })) await lchown(path.join(dir, entry), uid, gid);
}

async function postmasterPid(dataDir: string): Promise<number> {
  return Number.parseInt(await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8'), 10);
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
