import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { runCli, startCli } from './support/run-cli.ts';
import { until } from './support/until.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

// The real CLI: every documented exit code holds, a failure is told on stderr, and `--json` always gives a script
// one JSON object on stdout (the run's summary, or what went wrong), never empty input.
describe('failures the CLI tells (exit code, stderr, --json)', { timeout: 180_000 }, () => {
  let database: TestDatabase;
  let scratch: string;
  let rejecty: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    database = await createTestDatabase('cli_json_failures');
    scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-json-failures-'));
    rejecty = writePenaltyCsv(scratch, 'rejecty.csv', 50, { seed: 3, badShare: 0.2 }).file;
    env = {
      DATABASE_URL: database.url,
      CREDIT_ETL_LOG_FILE: path.join(scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: path.join(scratch, 'reports'),
    };
  });
  afterAll(async () => {
    await database?.drop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const ingest = (file: string, ...more: string[]) => [
    'ingest',
    file,
    '--catalog',
    'xzcf',
    '--provider',
    '11370000MB2852362M',
    '--level',
    'province',
    ...more,
  ];

  async function sql<T extends Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: database.url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query<T>(text, params)).rows;
    } finally {
      await client.end();
    }
  }

  it('a rejection report that cannot be written after the run committed: the summary still printed, exit 1', async () => {
    // A report directory below a regular file: no user, root included, can create it.
    const notADirectory = path.join(scratch, 'not-a-directory');
    writeFileSync(notADirectory, '');
    const reportDir = path.join(notADirectory, 'reports');
    const cliEnv = { ...env, CREDIT_ETL_REPORT_DIR: reportDir };

    const json = await runCli(ingest(rejecty, '--json'), cliEnv);
    expect(json.code, json.stderr).toBe(1);
    const summary = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ status: 'completed', counts: { rejected: 10 } });
    expect(summary.reportError).toMatch(/not-a-directory/);
    expect(summary).not.toHaveProperty('rejectionReport');
    expect(json.stderr).toMatch(
      /run \d+ ended completed, but its report could not be written: .*not-a-directory/,
    );
    const [run] = await sql<{ status: string }>('SELECT status FROM runs WHERE id = $1', [summary.runId]);
    expect(run?.status).toBe('completed');

    // The readable summary too: printed, and the failure on stderr.
    const text = await runCli(ingest(rejecty, '--force'), cliEnv);
    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout).toMatch(/rejecty\.csv/);
    expect(text.stderr).toMatch(/its report could not be written/);
  });

  it('--json on a usage or configuration error (exit 2): a JSON object naming the error', async () => {
    const usage = await runCli(ingest(rejecty, '--level', 'galaxy', '--json'), env);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout)).toMatchObject({ status: 'usage-error', exitCode: 2 });
    expect(JSON.parse(usage.stdout).error).toMatch(/galaxy/);

    const config = await runCli(ingest(rejecty, '--json'), { ...env, CREDIT_ETL_CHUNK_BYTES: '5' });
    expect(config.code).toBe(2);
    const failure = JSON.parse(config.stdout);
    expect(failure).toMatchObject({ status: 'usage-error', exitCode: 2 });
    expect(failure.error).toMatch(/CREDIT_ETL_CHUNK_BYTES/);
    expect(config.stderr).toMatch(/CREDIT_ETL_CHUNK_BYTES/);

    // Without --json, stdout stays empty as before.
    const plain = await runCli(ingest(rejecty, '--level', 'galaxy'), env);
    expect(plain.code).toBe(2);
    expect(plain.stdout).toBe('');
  });

  it('--json when the pipeline is locked by another process: exit 1 and {"status":"locked"}', async () => {
    const inbox = path.join(scratch, 'locked', 'inbox');
    const pipelines = path.join(scratch, 'locked', 'pipelines');
    mkdirSync(inbox, { recursive: true });
    mkdirSync(pipelines);
    writeFileSync(
      path.join(pipelines, 'held.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370000MB2852362M',
        level: 'province',
        transport: { type: 'drop-folder', directory: inbox, markerSuffixes: [], stableSizeMs: 0 },
      }),
    );
    const holder = new pg.Client({ connectionString: database.url });
    holder.on('error', () => undefined);
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(hashtext($1))', ['credit-etl:pipeline:held']);
      const result = await runCli(['run', 'held', '--json'], { ...env, CREDIT_ETL_PIPELINES_DIR: pipelines });
      expect(result.code, result.stderr).toBe(1);
      expect(JSON.parse(result.stdout)).toMatchObject({
        status: 'locked',
        exitCode: 1,
        error: 'pipeline held is running in another process: nothing done',
      });
      expect(result.stderr).toMatch(/running in another process/);
    } finally {
      await holder.end();
    }
  });

  it('a signal in the first moments, before any command module loaded: exit 130, said on stderr, JSON on stdout', async () => {
    // Held at the CLI's main module (start.ts's handler), at start.ts itself and at the first module
    // bin/credit-etl.js imports (the bin's own handler, installed before anything is imported).
    const cases = [
      ['main', 'SIGTERM'],
      ['main', 'SIGINT'],
      ['start', 'SIGTERM'],
      ['cli-build', 'SIGTERM'],
      ['cli-build', 'SIGINT'],
    ] as const;
    for (const [module, signal] of cases) {
      const mark = path.join(scratch, `held-${module}-${signal}`);
      const running = startCli(
        ingest(rejecty, '--json'),
        { ...env, HOLD_CLI_MAIN_MARK: mark, HOLD_CLI_MODULE: module },
        { nodeArgs: ['--import', path.join(PROJECT_ROOT, 'test/support/hold-cli-main.mjs')] },
      );
      await until(`the CLI asking for its module ${module}\n${running.output()}`, async () =>
        existsSync(mark) ? true : undefined,
      );
      running.child.kill(signal);
      const result = await running.result;
      const which = `${module}, ${signal}: ${result.stderr}`;
      expect(result.code, which).toBe(130);
      expect(result.stderr, which).toContain(
        `credit-etl: stopped by ${signal}: the warehouse was not open, nothing to roll back`,
      );
      expect(JSON.parse(result.stdout), which).toEqual({
        status: 'interrupted',
        exitCode: 130,
        error: `stopped by ${signal}: the warehouse was not open, nothing to roll back`,
      });
    }
    // Any command with --json, not only ingest and run.
    const listing = path.join(scratch, 'held-runs-list');
    const lister = startCli(
      ['runs', 'list', '--json'],
      { ...env, HOLD_CLI_MAIN_MARK: listing, HOLD_CLI_MODULE: 'cli-build' },
      { nodeArgs: ['--import', path.join(PROJECT_ROOT, 'test/support/hold-cli-main.mjs')] },
    );
    await until(`runs list asking for cli-build\n${lister.output()}`, async () =>
      existsSync(listing) ? true : undefined,
    );
    lister.child.kill('SIGTERM');
    const listed = await lister.result;
    expect(listed.code, listed.stderr).toBe(130);
    expect(JSON.parse(listed.stdout)).toMatchObject({ status: 'interrupted', exitCode: 130 });
    // Without --json, stdout stays empty.
    const mark = path.join(scratch, 'held-plain');
    const running = startCli(
      ingest(rejecty),
      { ...env, HOLD_CLI_MAIN_MARK: mark, HOLD_CLI_MODULE: 'cli-build' },
      { nodeArgs: ['--import', path.join(PROJECT_ROOT, 'test/support/hold-cli-main.mjs')] },
    );
    await until(`the CLI asking for scripts/cli-build.js\n${running.output()}`, async () =>
      existsSync(mark) ? true : undefined,
    );
    running.child.kill('SIGHUP');
    const plain = await running.result;
    expect(plain.code, plain.stderr).toBe(130);
    expect(plain.stderr).toContain('credit-etl: stopped by SIGHUP');
    expect(plain.stdout).toBe('');
  });

  it('a signal while the warehouse is opening: exit 130, "nothing was loaded", not "rolled back"', async () => {
    // A PostgreSQL that accepts the connection and never answers: the CLI waits in the warehouse's opening.
    const sockets: net.Socket[] = [];
    let connected = false;
    const silent = net.createServer((socket) => {
      connected = true;
      sockets.push(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const running = startCli(ingest(rejecty, '--json'), {
        ...env,
        DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/silent`,
      });
      await until(`the CLI connecting to the warehouse\n${running.output()}`, async () =>
        connected ? true : undefined,
      );
      running.child.kill('SIGTERM');
      const result = await running.result;
      expect(result.code, result.stderr).toBe(130);
      expect(result.stderr).toMatch(/SIGTERM received while the warehouse was opening/);
      expect(result.stderr).not.toMatch(/rolling back|rolled back/);
      expect(JSON.parse(result.stdout)).toEqual({
        status: 'interrupted',
        exitCode: 130,
        error: 'stopped by SIGTERM while the warehouse was opening: nothing was loaded',
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('an embedded data directory that is neither empty nor a data directory: exit 2, nothing done', async () => {
    const stray = path.join(scratch, 'stray-data-dir');
    mkdirSync(stray);
    writeFileSync(path.join(stray, 'notes.txt'), 'not PostgreSQL\n');
    const embedded = { ...env, DATABASE_URL: undefined, CREDIT_ETL_PG_DIR: stray };
    const result = await runCli(['runs', 'list'], embedded);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`credit-etl: ${stray} is neither empty nor a PostgreSQL data directory`);
    expect(result.stderr).not.toMatch(/failed:/);

    const json = await runCli(ingest(rejecty, '--json'), embedded);
    expect(json.code, json.stderr).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'usage-error', exitCode: 2 });
    expect(JSON.parse(json.stdout).error).toMatch(/neither empty nor a PostgreSQL data directory/);
  });

  it('an embedded data directory of another OS user (run as nobody, owned by postgres): exit 2, nothing done', async (context) => {
    if (process.getuid?.() !== 0) return context.skip('needs root, to run the CLI as nobody (runuser)');
    if (spawnSync('runuser', ['--version']).status !== 0) return context.skip('runuser is not installed');
    if (spawnSync('id', ['postgres']).status !== 0)
      return context.skip('no OS user postgres to own the directory');
    // A folder the OS user nobody may write in (the log, lock and password files beside the data directory).
    const shared = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-other-user-'));
    try {
      chmodSync(shared, 0o1777);
      const dataDir = path.join(shared, 'postgres');
      mkdirSync(dataDir, { mode: 0o700 });
      expect(spawnSync('chown', ['postgres', dataDir]).status).toBe(0);
      const asNobody = spawnSync(
        'runuser',
        [
          '-u',
          'nobody',
          '--',
          process.execPath,
          path.join(PROJECT_ROOT, 'bin/credit-etl.js'),
          'runs',
          'list',
        ],
        {
          env: {
            ...process.env,
            DATABASE_URL: undefined,
            HOME: shared,
            CREDIT_ETL_PG_DIR: dataDir,
            CREDIT_ETL_LOG_FILE: path.join(shared, 'cli.log'),
            CREDIT_ETL_REPORT_DIR: path.join(shared, 'reports'),
          },
          encoding: 'utf8',
          timeout: 120_000,
        },
      );
      expect(asNobody.status, asNobody.stderr).toBe(2);
      expect(asNobody.stderr).toContain(`credit-etl: cannot read ${dataDir} (EACCES`);
      expect(asNobody.stderr).toMatch(/give the directory to this one \(chown -R\)/);
      expect(asNobody.stderr).not.toMatch(/failed:/);
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });

  it.for([
    ['in', ['pg']],
    ['below', ['sub', 'pg']],
  ] as [string, string[]][])(
    'an embedded data directory %s a folder this OS user may not write (run as nobody, root-owned 755): exit 2',
    async ([, below], context) => {
      if (process.getuid?.() !== 0) return context.skip('needs root, to run the CLI as nobody (runuser)');
      if (spawnSync('runuser', ['--version']).status !== 0) return context.skip('runuser is not installed');
      // The data directory's folder, where its start lock goes: root's, readable by all, writable by root only.
      const folder = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-read-only-folder-'));
      // Where nobody may write its own log and reports.
      const writable = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-nobody-'));
      try {
        chmodSync(folder, 0o755);
        chmodSync(writable, 0o1777);
        const dataDir = path.join(folder, ...below);
        const file = path.join(writable, 'rejecty.csv');
        copyFileSync(rejecty, file);
        const asNobody = spawnSync(
          'runuser',
          [
            '-u',
            'nobody',
            '--',
            process.execPath,
            path.join(PROJECT_ROOT, 'bin/credit-etl.js'),
            ...ingest(file, '--json'),
          ],
          {
            env: {
              ...process.env,
              DATABASE_URL: undefined,
              HOME: writable,
              CREDIT_ETL_PG_DIR: dataDir,
              CREDIT_ETL_LOG_FILE: path.join(writable, 'cli.log'),
              CREDIT_ETL_REPORT_DIR: path.join(writable, 'reports'),
            },
            encoding: 'utf8',
            timeout: 120_000,
          },
        );
        expect(asNobody.status, asNobody.stderr).toBe(2);
        expect(asNobody.stderr).toContain(`credit-etl: cannot write in ${path.dirname(dataDir)} (EACCES`);
        expect(asNobody.stderr).toMatch(/give the folder to this one \(chown -R\)/);
        expect(asNobody.stderr).not.toMatch(/failed:/);
        expect(JSON.parse(asNobody.stdout)).toMatchObject({ status: 'usage-error', exitCode: 2 });
        expect(existsSync(path.join(folder, below[0] as string))).toBe(false);
      } finally {
        rmSync(folder, { recursive: true, force: true });
        rmSync(writable, { recursive: true, force: true });
      }
    },
  );

  it('a warehouse migrated by a newer release: exit 2 naming the migrations it does not know, nothing done', async () => {
    const first = await runCli(['runs', 'list'], env);
    expect(first.code, first.stderr).toBe(0);
    await sql(
      `INSERT INTO knex_migrations (name, batch, migration_time) VALUES ($1, 99, now()), ($2, 99, now())`,
      ['998-from-a-newer-release', '999-also-newer'],
    );
    try {
      const result = await runCli(['runs', 'list'], env);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/newer release of credit-etl/);
      expect(result.stderr).toContain('998-from-a-newer-release, 999-also-newer');
      expect(result.stderr).toMatch(/upgrade credit-etl/);
      expect(result.stderr).toContain('请将 credit-etl 升级');
      expect(result.stderr).not.toMatch(/corrupt/);

      const json = await runCli(ingest(rejecty, '--json'), env);
      expect(json.code).toBe(2);
      expect(JSON.parse(json.stdout)).toMatchObject({ status: 'usage-error', exitCode: 2 });
      expect(JSON.parse(json.stdout).error).toContain('998-from-a-newer-release');
    } finally {
      await sql(`DELETE FROM knex_migrations WHERE batch = 99`);
    }
  });
});
