import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from './support/run-cli.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

/**
 * `credit-etl users` and `credit-etl serve` as an operator runs them: real processes, the password on stdin (never
 * in argv), the console on 127.0.0.1 answering a login, a clean stop on SIGTERM — on a server (DATABASE_URL) and
 * on the embedded default.
 */
const cli = (args: string[], env: NodeJS.ProcessEnv, stdin?: string) =>
  runCli(args, env, { stdin: stdin ?? '' });

async function login(baseUrl: string, name: string, password: string): Promise<Response> {
  return fetch(`${baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ name, password }),
  });
}

/** Starts `serve --port 0`, returns its address once it listens, and a stop that sends SIGTERM. */
async function serve(env: NodeJS.ProcessEnv) {
  const running = startCli(['serve', '--port', '0'], env);
  const deadline = Date.now() + 90_000;
  let match: RegExpExecArray | null = null;
  while (!match && Date.now() < deadline && running.child.exitCode === null) {
    match = /console listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(running.output());
    if (!match) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!match) throw new Error(`serve did not start: ${running.output()}`);
  return {
    baseUrl: match[1]!,
    async stop() {
      running.child.kill('SIGTERM');
      return running.result;
    },
  };
}

function consoleCases(setting: () => { env: NodeJS.ProcessEnv }) {
  it('adds users with the password on stdin, refuses a weak one or a provider without its code', async () => {
    const { env } = setting();
    const added = await cli(
      ['users', 'add', 'ops.li', '--role', 'admin', '--password-stdin'],
      env,
      'a-long-password\n',
    );
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('user ops.li added (admin)');
    const weak = await cli(['users', 'add', 'weak', '--role', 'viewer', '--password-stdin'], env, 'short');
    expect(weak.code).toBe(2);
    expect(weak.stderr).toContain('shorter than 10');
    const provider = await cli(
      ['users', 'add', 'jinan', '--role', 'provider', '--password-stdin'],
      env,
      'a-long-password',
    );
    expect(provider.code).toBe(2);
    expect(provider.stderr).toContain('--provider');
    const withCode = await cli(
      ['users', 'add', 'jinan', '--role', 'provider', '--provider', '11370100MB28174284', '--password-stdin'],
      env,
      'a-long-password',
    );
    expect(withCode.code, withCode.stderr).toBe(0);
    // A password is never an argument.
    const inArgv = await cli(
      ['users', 'add', 'argv', '--role', 'viewer', '--password', 'a-long-password'],
      env,
    );
    expect(inArgv.code).toBe(2);
    const listed = await cli(['users', 'list', '--json'], env);
    const users = JSON.parse(listed.stdout) as { name: string; role: string; provider_code: string | null }[];
    expect(users.map((user) => [user.name, user.role, user.provider_code])).toEqual([
      ['jinan', 'provider', '11370100MB28174284'],
      ['ops.li', 'admin', null],
    ]);
    expect(listed.stdout).not.toContain('scrypt');
  });

  it('refuses a bad upload limit with exit 2 before the warehouse starts, naming the variable', async () => {
    const { env } = setting();
    const refused = await cli(['serve', '--port', '0'], {
      ...env,
      CREDIT_ETL_DIRECT_REPORT_MAX_BYTES: 'abc',
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('CREDIT_ETL_DIRECT_REPORT_MAX_BYTES=abc');
  });

  it('serves the console on 127.0.0.1, logs a user in, ends a disabled user, and stops on SIGTERM', async () => {
    const { env } = setting();
    const server = await serve(env);
    try {
      const response = await login(server.baseUrl, 'ops.li', 'a-long-password');
      expect(response.status).toBe(303);
      const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
      const runs = await fetch(`${server.baseUrl}/runs`, { headers: { cookie } });
      expect(runs.status).toBe(200);
      expect(await runs.text()).toContain('运行记录');
      const disabled = await cli(['users', 'disable', 'ops.li'], env);
      expect(disabled.code, disabled.stderr).toBe(0);
      expect(
        (await fetch(`${server.baseUrl}/runs`, { headers: { cookie }, redirect: 'manual' })).status,
      ).toBe(303);
      expect((await login(server.baseUrl, 'ops.li', 'a-long-password')).status).toBe(401);
    } finally {
      const stopped = await server.stop();
      expect(stopped.code, stopped.stderr).toBe(0);
    }
  });
}

describe('users and serve on a server (DATABASE_URL)', { timeout: 180_000 }, () => {
  let database: TestDatabase;
  let scratch: string;
  beforeAll(async () => {
    database = await createTestDatabase('console_cli');
    scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-console-cli-'));
  });
  afterAll(async () => {
    await database?.drop();
    rmSync(scratch, { recursive: true, force: true });
  });
  consoleCases(() => ({
    env: { DATABASE_URL: database.url, CREDIT_ETL_LOG_FILE: path.join(scratch, 'cli.log') },
  }));
});

describe('users and serve on the embedded default (no DATABASE_URL)', { timeout: 240_000 }, () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-console-embedded-'));
    // Run as root, postgres runs as OS user `postgres`, which must be able to enter the temp directory.
    chmodSync(scratch, 0o755);
  });
  afterAll(() => {
    expect(existsSync(path.join(scratch, 'postgres', 'postmaster.pid'))).toBe(false);
    rmSync(scratch, { recursive: true, force: true });
  });
  consoleCases(() => ({
    env: {
      DATABASE_URL: '',
      CREDIT_ETL_PG_DIR: path.join(scratch, 'postgres'),
      CREDIT_ETL_LOG_FILE: path.join(scratch, 'cli.log'),
    },
  }));
});
