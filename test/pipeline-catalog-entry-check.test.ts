import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { failedForItsConfiguration, failedForTheFilesOnly } from '../src/queue/pipeline-run-job.ts';
import type { RunSummary } from '../src/run/ingest-files.ts';
import { emptyCounts } from '../src/warehouse/outcome-counts.ts';
import { runCli } from './support/run-cli.ts';

// A pipeline naming a catalog entry (or version) the catalog lacks is a configuration error: refused where the
// pipeline is read (`pipelines validate`, `schedule`, `run`), exit 2 naming the file and the entry, never a run
// that fails as a whole on every trigger.
describe('a pipeline whose catalog entry does not exist', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-catalog-check-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function pipelines(label: string, definitions: Record<string, Record<string, unknown>>) {
    const folder = path.join(dir, label);
    mkdirSync(path.join(folder, 'inbox'), { recursive: true });
    for (const [name, fields] of Object.entries(definitions)) {
      writeFileSync(
        path.join(folder, `${name}.json`),
        JSON.stringify({
          catalog: 'xzcf',
          provider: '11370000MB2852362M',
          level: 'province',
          transport: { type: 'drop-folder', directory: path.join(folder, 'inbox') },
          schedule: { cron: '0 30 1 * * *' },
          ...fields,
        }),
      );
    }
    return {
      folder,
      env: {
        CREDIT_ETL_PIPELINES_DIR: folder,
        CREDIT_ETL_LOG_FILE: path.join(dir, 'cli.log'),
        // Never reached: every command here stops before the warehouse opens.
        DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none',
      },
    };
  }

  it('`pipelines validate` refuses it (exit 2), naming the file, the field and the entry; the good one passes', async () => {
    const { folder, env } = pipelines('validate', {
      good: {},
      nope: { catalog: 'nope' },
      version: { catalogVersion: 99 },
    });
    const result = await runCli(['pipelines', 'validate'], env);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout.trim().split('\n')).toEqual([`✓ ${path.join(folder, 'good.json')}`]);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(
        `^✗ ${path.join(folder, 'nope.json')}: /catalog: catalog entry "nope" not found \\(known: .*xzcf \\(行政处罚\\)`,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        `^✗ ${path.join(folder, 'version.json')}: /catalogVersion: catalog entry xzcf has no version 99 \\(known: v`,
      ),
    );
  });

  it('`schedule` does not start (exit 2) and `run` runs nothing (exit 2, usage-error with --json)', async () => {
    const { folder, env } = pipelines('schedule', { nope: { catalog: 'nope' } });
    const schedule = await runCli(['schedule'], env);
    expect(schedule.code, schedule.stderr).toBe(2);
    expect(schedule.stderr).toContain(
      `${path.join(folder, 'nope.json')}: /catalog: catalog entry "nope" not found`,
    );

    const run = await runCli(['run', 'nope', '--json'], env);
    expect(run.code, run.stderr).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({
      status: 'usage-error',
      exitCode: 2,
      error: expect.stringContaining('/catalog: catalog entry "nope" not found'),
    });
  });

  it('a Chinese title names an entry as its code does', async () => {
    const { env } = pipelines('title', { titled: { catalog: '行政处罚' } });
    const result = await runCli(['pipelines', 'validate'], env);
    expect(result.code, result.stderr).toBe(0);
  });
});

// In a worker, a run that failed as a whole for its configuration is not retried (docs/operating.md: "Other
// errors (bad configuration, a bug) are not retried"); a fault of the infrastructure is.
describe('which failed runs a worker retries', () => {
  const failedRun = (extra: Partial<RunSummary>): RunSummary => ({
    runId: 1,
    status: 'failed',
    counts: emptyCounts(),
    errorsByCode: {},
    files: [],
    ...extra,
  });

  it('a drop directory that does not exist, an unknown entry, a permission: not retried', () => {
    for (const code of ['drop-directory-missing', 'catalog', 'EACCES'])
      expect(
        failedForItsConfiguration(failedRun({ error: { code, message: 'x', infrastructure: false } })),
        code,
      ).toBe(true);
  });

  it('a fault of the database or a server, or a file left where it was: retried', () => {
    const fault = failedRun({ error: { code: '57P01', message: 'x', infrastructure: true } });
    expect(failedForItsConfiguration(fault)).toBe(false);
    expect(failedForTheFilesOnly(fault)).toBe(false);
    const unsettled = failedRun({
      error: { code: 'drop-directory-missing', message: 'x', infrastructure: false },
      unsettled: ['a.csv: not read'],
    });
    expect(failedForItsConfiguration(unsettled)).toBe(false);
    expect(failedForItsConfiguration(failedRun({}))).toBe(false);
  });
});
