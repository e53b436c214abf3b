import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { runCli, startCli } from './support/run-cli.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

/**
 * Settings refused as configuration errors through the real CLI (docs/configuration.md "How settings are
 * checked"): each bad value is exit 2 naming the variable, before anything runs; each documented value still works.
 * Before, on/off variables took anything (`CREDIT_ETL_SECURE_COOKIE=maybe` served a cookie without Secure), a log
 * file through a file was `failed: EEXIST` (exit 1), one under /proc spun at full CPU deaf to SIGTERM, and `serve`
 * started with a metrics port of `abc` or died later (exit 1) on a bad host or proxy address.
 */
let database: TestDatabase;
let scratch: string;
let clean: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  database = await createTestDatabase('config_refusals');
  scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-config-refusals-'));
  clean = writePenaltyCsv(scratch, 'clean.csv', 20, { seed: 7 }).file;
  env = {
    DATABASE_URL: database.url,
    CREDIT_ETL_LOG_FILE: path.join(scratch, 'cli.log'),
    CREDIT_ETL_REPORT_DIR: scratch,
    CREDIT_ETL_FULL_LINEAGE: '',
    CREDIT_ETL_FAST_REDELIVERY: '',
    CREDIT_ETL_FROM_SOURCE: '',
    CREDIT_ETL_SECURE_COOKIE: '',
    CREDIT_ETL_METRICS_PORT: '',
    CREDIT_ETL_CONSOLE_HOST: '',
    CREDIT_ETL_CONSOLE_TRUST_PROXY: '',
  };
}, 60_000);
afterAll(async () => {
  await database?.drop();
  rmSync(scratch, { recursive: true, force: true });
});

const ingest = (...more: string[]) => [
  'ingest',
  clean,
  '--catalog',
  'xzcf',
  '--provider',
  '11370000MB2852362M',
  '--level',
  'province',
  ...more,
];

describe('DATABASE_URL naming what the server does not have', { timeout: 180_000 }, () => {
  const elsewhere = (change: (url: URL) => void) => {
    const url = new URL(database.url);
    change(url);
    return url.toString();
  };

  it.each([
    [
      'a database',
      (url: URL) => (url.pathname = '/no_such_database_here'),
      'database "no_such_database_here" does not exist',
    ],
    ['a role', (url: URL) => (url.username = 'no_such_role_here'), 'role "no_such_role_here" does not exist'],
  ])(
    '%s it lacks: exit 2 saying to check DATABASE_URL (was exit 1, failed), --json too',
    async (_, change, said) => {
      const badEnv = { ...env, DATABASE_URL: elsewhere(change) };
      const runs = await runCli(['runs', 'list'], badEnv);
      expect(runs.code, runs.stderr).toBe(2);
      expect(runs.stderr).toBe(
        `credit-etl: ${said}: check DATABASE_URL (the server, database, user and password it names)\n`,
      );
      const loaded = await runCli(ingest('--json'), badEnv);
      expect(loaded.code, loaded.stderr).toBe(2);
      expect(JSON.parse(loaded.stdout)).toMatchObject({ status: 'usage-error', exitCode: 2 });
    },
  );
});

describe('on/off variables: 1, 0 or unset', { timeout: 180_000 }, () => {
  it.each([
    ['CREDIT_ETL_FULL_LINEAGE', 'maybe'],
    ['CREDIT_ETL_FAST_REDELIVERY', 'nein'],
    ['CREDIT_ETL_FROM_SOURCE', 'maybe'],
    ['CREDIT_ETL_FULL_LINEAGE', 'ture'],
  ])('refuses %s=%s with exit 2, naming the variable and the accepted values', async (name, value) => {
    const result = await runCli(ingest(), { ...env, [name]: value });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`${name}=${value} is not on or off`);
    expect(result.stderr).toContain('leave it unset');
  });

  it('refuses a bad CREDIT_ETL_FROM_SOURCE before TypeScript runs, with the JSON failure of ingest --json', async () => {
    const result = await runCli(ingest('--json'), { ...env, CREDIT_ETL_FROM_SOURCE: 'maybe' });
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      status: 'usage-error',
      exitCode: 2,
      error:
        'CREDIT_ETL_FROM_SOURCE=maybe is not on or off: set 1 (or true, yes, on), 0 (or false, no, off) or leave it unset',
    });
  });

  it('takes 1 and 0 (and yes, no) for each', async () => {
    const on = await runCli(ingest(), {
      ...env,
      CREDIT_ETL_FULL_LINEAGE: '1',
      CREDIT_ETL_FAST_REDELIVERY: '1',
      CREDIT_ETL_FROM_SOURCE: '1',
    });
    expect(on.code, on.stderr).toBe(0);
    const off = await runCli(ingest(), {
      ...env,
      CREDIT_ETL_FULL_LINEAGE: '0',
      CREDIT_ETL_FAST_REDELIVERY: '0',
      CREDIT_ETL_FROM_SOURCE: '0',
    });
    expect(off.code, off.stderr).toBe(0);
    const words = await runCli(ingest(), {
      ...env,
      CREDIT_ETL_FULL_LINEAGE: 'Yes',
      CREDIT_ETL_FAST_REDELIVERY: 'off',
      CREDIT_ETL_FROM_SOURCE: 'false',
    });
    expect(words.code, words.stderr).toBe(0);
  });
});

describe('CREDIT_ETL_LOG_FILE', { timeout: 120_000 }, () => {
  it('refuses a path through a file, a folder, and a path under /proc or /sys (exit 2, never a hang)', async () => {
    const file = path.join(scratch, 'p.csv');
    writeFileSync(file, 'a,b\n');
    const cases = [
      [path.join(file, 'x.log'), `${file} is not a folder`],
      [scratch, `${scratch} is not a file`],
      ['/proc/nope/x.log', 'is under /proc'],
      ['/sys/nope/x.log', 'is under /sys'],
    ];
    for (const [logFile, why] of cases) {
      const started = Date.now();
      const result = await runCli(['runs', 'list'], { ...env, CREDIT_ETL_LOG_FILE: logFile });
      expect(result.code, `${logFile}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(`CREDIT_ETL_LOG_FILE=${logFile}: `);
      expect(result.stderr).toContain(why);
      expect(Date.now() - started).toBeLessThan(30_000);
    }
  });

  it('creates the missing folders of a good path', async () => {
    const logFile = path.join(scratch, 'new', 'deeper', 'x.log');
    const result = await runCli(['runs', 'list'], { ...env, CREDIT_ETL_LOG_FILE: logFile });
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(logFile)).toBe(true);
  });
});

describe('serve checks its settings before the warehouse starts', { timeout: 180_000 }, () => {
  it.each([
    ['CREDIT_ETL_SECURE_COOKIE', 'maybe'],
    ['CREDIT_ETL_SECURE_COOKIE', 'enabled'],
    ['CREDIT_ETL_METRICS_PORT', 'abc'],
    ['CREDIT_ETL_CONSOLE_TRUST_PROXY', 'garbage!!'],
    ['CREDIT_ETL_CONSOLE_TRUST_PROXY', '127.0.0.1,10.0.0.0/33'],
    ['CREDIT_ETL_CONSOLE_HOST', 'not..a..host'],
    ['CREDIT_ETL_CONSOLE_HOST', '10.0.0.256'],
  ])('refuses %s=%s with exit 2, naming the variable', async (name, value) => {
    const result = await runCli(['serve', '--port', '0'], { ...env, [name]: value });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`${name}=${value}`);
  });

  it('refuses a --host that is no address or host name with exit 2, naming the option', async () => {
    const result = await runCli(['serve', '--port', '0', '--host', 'not..a..host'], env);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('--host not..a..host is not an IP address or a host name');
  });

  it('serves with the documented values, the cookie Secure with CREDIT_ETL_SECURE_COOKIE=1 only', async () => {
    const added = await withStdin(
      ['users', 'add', 'ops.li', '--role', 'admin', '--password-stdin'],
      'a-long-password\n',
    );
    expect(added.code, added.stderr).toBe(0);
    const good = {
      CREDIT_ETL_CONSOLE_HOST: 'localhost',
      CREDIT_ETL_CONSOLE_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8, ::1',
      CREDIT_ETL_METRICS_PORT: 'off',
    };
    expect(await sessionCookie({ ...good, CREDIT_ETL_SECURE_COOKIE: '1' })).toMatch(/; Secure/i);
    expect(
      await sessionCookie({ ...good, CREDIT_ETL_SECURE_COOKIE: '0', CREDIT_ETL_METRICS_PORT: '9464' }),
    ).not.toMatch(/; Secure/i);
  });
});

/** Starts `serve --port 0` with `more`, logs in over http and returns the session cookie's header; stops it. */
async function sessionCookie(more: NodeJS.ProcessEnv): Promise<string> {
  const running = startCli(['serve', '--port', '0'], { ...env, ...more });
  try {
    const deadline = Date.now() + 90_000;
    let match: RegExpExecArray | null = null;
    while (!match && Date.now() < deadline && running.child.exitCode === null) {
      match = /console listening on (http:\/\/\S+:\d+)/.exec(running.output());
      if (!match) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!match) throw new Error(`serve did not start: ${running.output()}`);
    const response = await fetch(`${match[1]}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'ops.li', password: 'a-long-password' }),
    });
    expect(response.status).toBe(303);
    return response.headers.get('set-cookie') ?? '';
  } finally {
    running.child.kill('SIGTERM');
    const stopped = await running.result;
    expect(stopped.code, stopped.stderr).toBe(0);
  }
}

function withStdin(args: string[], stdin: string) {
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/credit-etl.js'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout.resume();
  child.stdin.end(stdin);
  return new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stderr })),
  );
}
