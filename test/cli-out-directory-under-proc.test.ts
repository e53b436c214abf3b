import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { cliWithin, nodeWithin, type TimedResult } from './support/killed-after.ts';
import { runCli } from './support/run-cli.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

// Node's recursive mkdir never returns under /proc (mkdir says ENOENT there although /proc exists, and Node takes
// that for a missing parent, forever, at full CPU): `catalog docs --out /proc/x`, a report's `--out /proc/x/…`, a
// report directory under /proc hung the CLI. Each run here is killed after 20 s, so a regression fails instead of
// hanging the suite; the CLI must end at once with exit 1 and one line naming the directory.
const PROC_DIR = `/proc/credit-etl-${process.pid}`;
const onLinux = existsSync('/proc/self');

/** A module of ours run in a child process (tsx). */
const scriptWithin = (code: string) =>
  nodeWithin(['--import', 'tsx', '--input-type=module', '-e', code], PROJECT_ROOT);

const refusedUnderProc = (directory = PROC_DIR) =>
  `cannot create directory ${directory}: /proc takes no new directory (ENOENT)`;

/** Ended by itself, exit 1, one line on stderr: `credit-etl: failed: <message>`. */
function expectFailedWith(result: TimedResult, message: string): void {
  expect(result.timedOut, 'the CLI hung and was killed').toBe(false);
  expect(result.code, result.stdout + result.stderr).toBe(1);
  expect(result.stderr).toBe(`credit-etl: failed: ${message}\n`);
}

describe.runIf(onLinux)(
  'an output directory under /proc: a clear failure, never a hang',
  { timeout: 300_000 },
  () => {
    let scratch: string;
    let env: NodeJS.ProcessEnv;

    beforeAll(() => {
      scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-out-under-proc-'));
      env = {
        CREDIT_ETL_LOG_FILE: path.join(scratch, 'cli.log'),
        CREDIT_ETL_REPORT_DIR: path.join(scratch, 'reports'),
        CREDIT_ETL_STAGING_DIR: path.join(scratch, 'staging'),
      };
    });
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    it('catalog docs --out /proc/x, /proc/x/y, /proc: exit 1 naming the directory or file', async () => {
      expectFailedWith(await cliWithin(['catalog', 'docs', '--out', PROC_DIR], env), refusedUnderProc());
      const deeper = path.join(PROC_DIR, 'docs');
      expectFailedWith(await cliWithin(['catalog', 'docs', '--out', deeper], env), refusedUnderProc(deeper));
      // /proc itself is there: the file it refuses is named, as a report's is.
      expectFailedWith(
        await cliWithin(['catalog', 'docs', '--out', '/proc'], env),
        "cannot write /proc/catalog.md: ENOENT: no such file or directory, open '/proc/catalog.md'",
      );
    });

    it('catalog docs --out below a file: exit 1 naming the file; missing directories are still created', async () => {
      const file = path.join(scratch, 'a-file');
      writeFileSync(file, '');
      const below = path.join(file, 'docs');
      expectFailedWith(
        await cliWithin(['catalog', 'docs', '--out', below], env),
        `cannot create directory ${below}: ${file} is not a directory`,
      );
      const nested = path.join(scratch, 'published', 'a', 'b');
      const result = await cliWithin(['catalog', 'docs', '--out', nested], env);
      expect(result.code, result.stderr).toBe(0);
      expect(readdirSync(nested).sort()).toEqual(['catalog.html', 'catalog.md']);
    });

    it('catalog template --out /proc/x/t.xlsx: exit 1 naming the directory', async () => {
      expectFailedWith(
        await cliWithin(['catalog', 'template', 'xzcf', '--out', path.join(PROC_DIR, 'xzcf.xlsx')], env),
        refusedUnderProc(),
      );
    });

    it('the missing-from-full-dump report under /proc: refused at once, naming the directory', async () => {
      const module = path.join(PROJECT_ROOT, 'src/report/missing-from-dump.ts');
      const result = await scriptWithin(
        `import { writeMissingCsv } from ${JSON.stringify(module)};
       await writeMissingCsv([], ${JSON.stringify(path.join(PROC_DIR, 'missing.csv'))}).then(
         () => console.log('written'),
         (error) => console.log(error.message),
       );`,
      );
      expect(result.timedOut, 'writeMissingCsv hung and was killed').toBe(false);
      expect(result.stdout, result.stderr).toBe(`${refusedUnderProc()}\n`);
    });

    describe('with a warehouse', () => {
      let database: TestDatabase;
      let dbEnv: NodeJS.ProcessEnv;
      let ingest: string[];
      let runId: number;

      beforeAll(async () => {
        database = await createTestDatabase('cli_out_under_proc');
        dbEnv = { ...env, DATABASE_URL: database.url };
        const rejecty = writePenaltyCsv(scratch, 'rejecty.csv', 40, { seed: 5, badShare: 0.25 }).file;
        ingest = [
          'ingest',
          rejecty,
          '--catalog',
          'xzcf',
          '--provider',
          '11370000MB2852362M',
          '--level',
          'province',
        ];
        // A run with rejections to report on, its report written where it may be (the warehouse migrated).
        const first = await runCli([...ingest, '--json'], dbEnv);
        expect(first.code, first.stdout + first.stderr).toBe(0);
        runId = (JSON.parse(first.stdout) as { runId: number }).runId;
      }, 120_000);
      afterAll(async () => database?.drop());

      it('ingest with CREDIT_ETL_REPORT_DIR under /proc: the run completes, reportError names the directory, exit 1', async () => {
        const reportDir = path.join(PROC_DIR, 'reports');
        const result = await cliWithin([...ingest, '--force', '--json'], {
          ...dbEnv,
          CREDIT_ETL_REPORT_DIR: reportDir,
        });
        expect(result.timedOut, 'the CLI hung and was killed').toBe(false);
        expect(result.code, result.stdout + result.stderr).toBe(1);
        const summary = JSON.parse(result.stdout) as { runId: number; status: string; reportError?: string };
        expect(summary.status).toBe('completed');
        expect(summary.reportError).toBe(refusedUnderProc(reportDir));
        // Its log lines are on stderr too: the failure is the one line that ends it.
        expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(
          `credit-etl: failed: run ${summary.runId} ended completed, but its report could not be written: ${refusedUnderProc(reportDir)}`,
        );
        expect(result.stderr).not.toMatch(/crashed/);
      });

      it('demo from /proc (its drop folders are relative): exit 1 naming the drop folder', async () => {
        const dropDir = '/proc/.data/drop/xzcf-province';
        const result = await nodeWithin(
          [path.join(PROJECT_ROOT, 'bin/credit-etl.js'), 'demo'],
          '/proc',
          dbEnv,
        );
        expect(result.timedOut, 'the CLI hung and was killed').toBe(false);
        expect(result.code, result.stdout + result.stderr).toBe(1);
        expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(
          `credit-etl: failed: cannot create directory ${dropDir}: /proc takes no new directory (ENOENT)`,
        );
      });

      it.each([
        ['rejections', 'csv'],
        ['rejections', 'xlsx'],
        ['rejections', 'json'],
        ['disclosure', 'csv'],
        ['quality', 'html'],
        ['quality', 'xlsx'],
      ])('report %s --out /proc/x/….%s: exit 1 naming the directory', async (report, format) => {
        const scope: Record<string, string[]> = {
          rejections: ['--run', String(runId)],
          disclosure: ['--as-of', '2030-01-01'],
          quality: ['--from', '2026-01-01', '--to', '2026-12-31'],
        };
        const out = path.join(PROC_DIR, `${report}.${format}`);
        expectFailedWith(
          await cliWithin(['report', report, ...scope[report]!, '--out', out], dbEnv),
          refusedUnderProc(),
        );
      });
    });
  },
);
