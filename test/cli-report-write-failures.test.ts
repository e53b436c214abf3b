import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePenaltyCsv } from './support/generated-file.ts';
import { runCli } from './support/run-cli.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

// The real CLI, a run that rejects rows, and a report that fails while it is being written — the file cannot be
// opened (a directory is there), the disk is full, the filesystem is read-only. The stream's error used to come
// while the writer awaited the next page of rejections, with no one listening: an uncaught exception, so the
// command printed {"status":"failed","error":"crashed: …"} for a run that had committed `completed` (a script
// would deliver its files again), and a full disk left an empty report behind. Now: the run's summary with
// `reportError`, exit 1, and no file left.
describe('ingest --json when its rejection report cannot be written', { timeout: 300_000 }, () => {
  let database: TestDatabase;
  let scratch: string;
  let rejecty: string;
  let env: NodeJS.ProcessEnv;
  let tmpfs: string | undefined;

  beforeAll(async () => {
    database = await createTestDatabase('cli_report_write_failures');
    scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-report-write-failures-'));
    rejecty = writePenaltyCsv(scratch, 'rejecty.csv', 50, { seed: 3, badShare: 0.2 }).file;
    env = { DATABASE_URL: database.url, CREDIT_ETL_LOG_FILE: path.join(scratch, 'cli.log') };
    // A tiny tmpfs, filled up: only where mounting works (root on Linux).
    const mountPoint = path.join(scratch, 'tiny');
    mkdirSync(mountPoint);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', mountPoint], { stdio: 'ignore' });
      tmpfs = mountPoint;
    } catch {
      tmpfs = undefined;
    }
  });
  afterAll(async () => {
    if (tmpfs) execFileSync('umount', [tmpfs], { stdio: 'ignore' });
    await database?.drop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const ingest = (...more: string[]) => [
    'ingest',
    rejecty,
    '--catalog',
    'xzcf',
    '--provider',
    '11370000MB2852362M',
    '--level',
    'province',
    '--json',
    '--force',
    ...more,
  ];

  async function runStatus(runId: unknown): Promise<string | undefined> {
    const client = new pg.Client({ connectionString: database.url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query<{ status: string }>('SELECT status FROM runs WHERE id = $1', [runId]))
        .rows[0]?.status;
    } finally {
      await client.end();
    }
  }

  /** One ingest whose report fails: the summary printed with `reportError`, exit 1, the run completed. */
  async function ingestWithFailingReport(reportDir: string, error: RegExp): Promise<number> {
    const result = await runCli(ingest(), { ...env, CREDIT_ETL_REPORT_DIR: reportDir });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stderr).not.toMatch(/crashed/);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(summary, result.stderr).toMatchObject({ status: 'completed', counts: { rejected: 10 } });
    expect(summary).not.toHaveProperty('rejectionReport');
    expect(summary.reportError).toMatch(error);
    expect(summary.reportError).toContain(`run-${summary.runId}-rejections.csv`);
    expect(result.stderr).toMatch(/run \d+ ended completed, but its report could not be written/);
    expect(await runStatus(summary.runId)).toBe('completed');
    return summary.runId as number;
  }

  it('a directory where the report goes (EISDIR on open): the summary with reportError, exit 1, no crash', async () => {
    const reportDir = path.join(scratch, 'reports');
    // A fresh warehouse numbers its runs from 1: a directory stands at each report's path.
    for (let id = 1; id <= 12; id++)
      mkdirSync(path.join(reportDir, `run-${id}-rejections.csv`), { recursive: true });
    const before = readdirSync(reportDir).sort();
    for (let attempt = 0; attempt < 4; attempt++) {
      const runId = await ingestWithFailingReport(reportDir, /EISDIR/);
      expect(runId).toBeLessThanOrEqual(12);
    }
    expect(readdirSync(reportDir).sort()).toEqual(before);
  });

  it('a full disk (ENOSPC), then a read-only one (EROFS): the summary with reportError, and no file left', async (context) => {
    if (!tmpfs) return context.skip();
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${path.join(tmpfs, 'fill')}`, 'bs=4k', 'count=64'], {
        stdio: 'ignore',
      });
    } catch {
      // dd stops at the full disk, as meant.
    }
    for (let attempt = 0; attempt < 4; attempt++) await ingestWithFailingReport(tmpfs, /ENOSPC/);
    expect(readdirSync(tmpfs)).toEqual(['fill']);

    rmSync(path.join(tmpfs, 'fill'));
    execFileSync('mount', ['-o', 'remount,ro', tmpfs], { stdio: 'ignore' });
    try {
      for (let attempt = 0; attempt < 4; attempt++) await ingestWithFailingReport(tmpfs, /EROFS/);
      expect(readdirSync(tmpfs)).toEqual([]);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', tmpfs], { stdio: 'ignore' });
    }
  });

  it('report rejections/disclosure --out on a full disk, every format: exit 1 naming the file, no file left', async (context) => {
    if (!tmpfs) return context.skip();
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${path.join(tmpfs, 'fill')}`, 'bs=4k', 'count=64'], {
        stdio: 'ignore',
      });
    } catch {
      // Full.
    }
    for (const format of ['csv', 'json', 'xlsx']) {
      for (const args of [
        ['report', 'rejections', '--run', '1'],
        ['report', 'disclosure', '--as-of', '2030-01-01'],
      ]) {
        const out = path.join(tmpfs, `${args[1]}.${format}`);
        const result = await runCli([...args, '--out', out], env);
        expect(result.code, `${args.join(' ')} ${format}: ${result.stdout}${result.stderr}`).toBe(1);
        expect(result.stderr).not.toMatch(/crashed/);
        expect(result.stderr).toContain(`cannot write ${out}: ENOSPC`);
        expect(readdirSync(tmpfs)).toEqual(['fill']);
      }
    }
    rmSync(path.join(tmpfs, 'fill'));
  });
});
