import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabaseServer } from '../src/warehouse/database-server.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { runCli, type StartOptions, startCli } from './support/run-cli.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

// Every documented exit code, from the real CLI, on a server (DATABASE_URL) and on the embedded default, which
// the CLI starts and must stop again itself (its library's exit hook used to turn every exit code into 0).

/** Where a case runs: the CLI's environment and how the test reads the warehouse the CLI used. */
interface Setting {
  env: NodeJS.ProcessEnv;
  /** Runs `sql` on that warehouse; on the embedded default the server is started for it, then stopped. */
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** The warehouse's URL while a CLI process that opened it is still running. */
  liveUrl(): Promise<string>;
  /** After a CLI process ended: nothing of the database server it started is left running. */
  expectNoServerLeft(): void;
}

let files: string;
let big: string;
let clean: string;
let rejecty: string;
let wrongHeader: string;

beforeAll(() => {
  files = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-exit-codes-'));
  big = writePenaltyCsv(files, 'big.csv', 100_000, { seed: 1 }).file;
  clean = writePenaltyCsv(files, 'clean.csv', 20, { seed: 2 }).file;
  rejecty = writePenaltyCsv(files, 'rejecty.csv', 200, { seed: 3, badShare: 0.2 }).file;
  wrongHeader = path.join(files, 'wrong-header.csv');
  writeFileSync(wrongHeader, '姓名,金额\n张三,100\n');
});
afterAll(() => rmSync(files, { recursive: true, force: true }));

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

function exitCodeCases(setting: () => Setting) {
  const cli = async (args: string[]) => {
    const result = await runCli(args, setting().env);
    setting().expectNoServerLeft();
    return result;
  };

  it('0: the run completed', async () => {
    const result = await cli(ingest(clean));
    expect(result.code, result.stderr).toBe(0);
  });

  it('1: a file could not be loaded (wrong header)', async () => {
    const result = await cli(ingest(wrongHeader));
    expect(result.code, result.stderr).toBe(1);
  });

  it('2: bad usage, nothing done', async () => {
    const result = await cli(ingest(clean, '--level', 'galaxy'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('galaxy');
  });

  it('2: a bad setting read only where a file loads (CREDIT_ETL_CHUNK_BYTES), before anything runs', async () => {
    const result = await runCli(ingest(clean), { ...setting().env, CREDIT_ETL_CHUNK_BYTES: '5' });
    setting().expectNoServerLeft();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('CREDIT_ETL_CHUNK_BYTES=5');
  });

  it('2: `runs show` of a run that does not exist', async () => {
    const result = await cli(['runs', 'show', '99999']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('run 99999 not found');
  });

  it('3: a file exceeded --max-rejected', async () => {
    const result = await cli(ingest(rejecty, '--max-rejected', '10'));
    expect(result.code, result.stderr).toBe(3);
  });

  it('1: `objection check` finds an objection overdue, and records a failed run', async () => {
    const loaded = await cli(ingest(clean));
    expect(loaded.code, loaded.stderr).toBe(0); // loaded by the first case already: skipped, exit 0
    const [record] = await setting().query('SELECT id FROM records ORDER BY id LIMIT 1');
    expect(record, 'a record to object to').toBeDefined();
    const opened = await cli([
      'objection',
      'open',
      String(record?.id),
      '--applicant',
      '济南示例有限公司',
      '--reason',
      '处罚决定已被撤销',
      '--received-at',
      // After every decision of the generated rows (2026, January to October): Monday, due Thursday 11-05.
      '2026-11-02',
      '--operator',
      '李科员',
    ]);
    expect(opened.code, opened.stderr).toBe(0);
    const check = await cli(['objection', 'check', '--as-of', '2026-11-06']);
    expect(check.code, check.stderr).toBe(1);
    const [run] = await setting().query(
      "SELECT status FROM runs WHERE kind = 'objection-check' ORDER BY id DESC LIMIT 1",
    );
    expect(run?.status).toBe('failed');
  });

  it("3: a full dump lacking too many of the previous dump's records (truncated-dump): nothing applied", async () => {
    const dir = mkdtempSync(path.join(files, 'dump-'));
    const [pipelines, drop] = ['pipelines', 'drop'].map((name) => path.join(dir, name));
    for (const folder of [pipelines, drop!]) mkdirSync(folder!);
    writeFileSync(
      path.join(pipelines!, 'nightly.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370100MB28174284',
        level: 'city',
        transport: { type: 'drop-folder', directory: drop },
        fullDump: { maxMissingShare: 0.25 },
      }),
    );
    const env = {
      ...setting().env,
      CREDIT_ETL_PIPELINES_DIR: pipelines,
      CREDIT_ETL_STAGING_DIR: path.join(dir, 'staging'),
    };
    const run = async () => {
      const result = await runCli(['run', 'nightly'], env);
      setting().expectNoServerLeft();
      return result;
    };
    const deliver = (name: string, lines: string[]) => {
      writeFileSync(path.join(drop!, name), `${lines.join('\r\n')}\r\n`);
      writeFileSync(path.join(drop!, `${name}.ok`), '');
    };
    const dump = readFileSync(writePenaltyCsv(dir, 'full.csv', 8, { seed: 5 }).file, 'utf8')
      .trimEnd()
      .split('\r\n');
    deliver('dump-1.csv', dump);
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    const lineage = async () =>
      (await setting().query('SELECT count(*)::int AS n FROM record_sources'))[0]?.n as number;
    const before = await lineage();
    // 2 of the 8 rows: 75% of the previous dump missing, over 25%.
    deliver('dump-2.csv', dump.slice(0, 3));
    const second = await run();
    expect(second.code, second.stdout + second.stderr).toBe(3);
    const [file] = await setting().query(
      'SELECT status, error_code FROM source_files WHERE name = $1 ORDER BY id DESC LIMIT 1',
      ['dump-2.csv'],
    );
    expect(file).toMatchObject({ status: 'failed-threshold', error_code: 'truncated-dump' });
    expect(await lineage()).toBe(before);
  });

  it('130: SIGTERM while the COPY runs rolls the file back and ends the run interrupted', async () => {
    await stopWhileCopying(setting(), {}, (child) => child.kill('SIGTERM'));
  });
}

/** Starts `ingest` of the big file, stops it with `stop` while its COPY runs: exit 130, nothing loaded. */
async function stopWhileCopying(
  setting: Setting,
  options: StartOptions,
  stop: (child: ChildProcess) => void,
): Promise<void> {
  const running = startCli(ingest(big), setting.env, options);
  // The server is up and the unit has begun once the progress line shows; then wait for its COPY.
  for (let tries = 0; !running.output().includes('big.csv: started'); tries++) {
    expect(tries, `the ingest never started:\n${running.output()}`).toBeLessThan(1200);
    await sleep(50);
  }
  const watcher = new pg.Client({ connectionString: await setting.liveUrl() });
  watcher.on('error', () => undefined);
  await watcher.connect();
  try {
    const copying = async () =>
      (
        await watcher.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY stage%'`,
        )
      ).rows.length > 0;
    for (let tries = 0; !(await copying()); tries++) {
      expect(tries, 'the COPY into staging never started').toBeLessThan(600);
      await sleep(50);
    }
  } finally {
    await watcher.end();
  }
  stop(running.child);
  const result = await running.result;
  expect(result.code, result.stderr).toBe(130);
  // A stop is no failure: nothing in the log says the run failed or could not be recorded.
  expect(result.stderr).not.toMatch(/\bERROR\b/);
  setting.expectNoServerLeft();

  const [run] = await setting.query('SELECT id, status FROM runs ORDER BY id DESC LIMIT 1');
  expect(run?.status).toBe('interrupted');
  const loaded = await setting.query(
    "SELECT name FROM source_files WHERE run_id = $1 AND status = 'loaded'",
    [run?.id],
  );
  expect(loaded).toEqual([]);
}

describe('exit codes on a server (DATABASE_URL)', { timeout: 180_000 }, () => {
  let database: TestDatabase;
  let scratch: string;

  beforeAll(async () => {
    database = await createTestDatabase('exit_codes');
    scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-exit-codes-server-'));
  });
  afterAll(async () => {
    await database?.drop();
    rmSync(scratch, { recursive: true, force: true });
  });

  exitCodeCases(() => ({
    env: {
      DATABASE_URL: database.url,
      CREDIT_ETL_LOG_FILE: path.join(scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: scratch,
    },
    query: (sql, params) => queryOnce(database.url, sql, params),
    liveUrl: async () => database.url,
    expectNoServerLeft: () => undefined,
  }));
});

describe('exit codes on the embedded default (no DATABASE_URL)', { timeout: 180_000 }, () => {
  let scratch: string;
  let dataDir: string;

  beforeAll(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-exit-codes-embedded-'));
    // Run as root, postgres runs as OS user `postgres`, which must be able to enter the temp directory.
    chmodSync(scratch, 0o755);
    dataDir = path.join(scratch, 'postgres');
  });
  afterAll(() => {
    // Every case checked that the CLI stopped its server; nothing is left to stop here.
    rmSync(scratch, { recursive: true, force: true });
  });

  /** The test starts the server only after the CLI ended, so the CLI always starts (and must stop) its own. */
  async function queryEmbedded(sql: string, params?: unknown[]) {
    const server = await openDatabaseServer({ embeddedDataDir: dataDir });
    try {
      return await queryOnce(server.url, sql, params);
    } finally {
      await server.stop();
    }
  }

  const embedded = (): Setting => ({
    env: {
      DATABASE_URL: '',
      CREDIT_ETL_PG_DIR: dataDir,
      CREDIT_ETL_LOG_FILE: path.join(scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: scratch,
    },
    query: queryEmbedded,
    // The CLI's server is running: this reuses it and lets go at once, leaving stopping it to the CLI (while this
    // process used it, the CLI would hand it over to the watchdog instead of stopping it).
    liveUrl: async () => {
      const server = await openDatabaseServer({ embeddedDataDir: dataDir });
      await server.stop();
      return server.url;
    },
    // PostgreSQL removes postmaster.pid when it has shut down.
    expectNoServerLeft: () => expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false),
  });
  exitCodeCases(embedded);

  it('130: Ctrl-C in a terminal (SIGINT to the whole process group) reaches the CLI, not its server', async () => {
    // The server must outlive the signal: the CLI still has to mark its run interrupted before stopping it.
    await stopWhileCopying(embedded(), { processGroup: true }, (child) => {
      if (child.pid) process.kill(-child.pid, 'SIGINT');
    });
  });
});

async function queryOnce(url: string, sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}
