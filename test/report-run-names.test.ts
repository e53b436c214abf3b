import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { freeReportPath, writeRunRejections } from '../src/cli/print-run.ts';
import type { RunSummary } from '../src/run/ingest-files.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * Run ids restart at 1 in every warehouse (the demo's embedded database and a server writing to the same reports/,
 * a re-created database): a run's report never replaces another run's report of the same name.
 */
describe('run report names', () => {
  let fx: WarehouseFixture;
  let run: RunSummary;

  beforeAll(async () => {
    fx = await openWarehouseFixture('report_run_names');
    const file = path.join(fx.scratch, 'names.csv');
    writeFileSync(file, toCsv(PENALTY_HEADER, generatePenalties(6, { badShare: 0.5, seed: 3 }).rows));
    run = await fx.ingest([file], { receivedAt: new Date('2026-11-20T10:00:00+08:00') });
  });
  afterAll(async () => fx?.close());

  it('an earlier run-<id>-rejections.csv (another warehouse’s run) is kept; the report goes to -2, then -3', async () => {
    expect(run.counts.rejected).toBeGreaterThan(0);
    const reportDir = path.join(fx.scratch, 'reports');
    mkdirSync(reportDir);
    const earlier = path.join(reportDir, `run-${run.runId}-rejections.csv`);
    writeFileSync(earlier, 'another warehouse’s report\r\n');

    const second = await writeRunRejections(fx.warehouse, fx.catalog, reportDir, run);
    expect(second).toBe(path.join(reportDir, `run-${run.runId}-rejections-2.csv`));
    expect(readFileSync(earlier, 'utf8')).toBe('another warehouse’s report\r\n');
    expect(readFileSync(second!, 'utf8')).toContain('names.csv');

    const third = await writeRunRejections(fx.warehouse, fx.catalog, reportDir, run);
    expect(third).toBe(path.join(reportDir, `run-${run.runId}-rejections-3.csv`));
    expect(readFileSync(second!, 'utf8')).toContain('names.csv');
    expect(readdirSync(reportDir).sort()).toEqual(
      [1, 2, 3].map((n) => `run-${run.runId}-rejections${n === 1 ? '' : `-${n}`}.csv`).sort(),
    );
  });

  it('the first report of a name takes it; the missing-from-full-dump report is numbered the same way', async () => {
    const reportDir = path.join(fx.scratch, 'fresh');
    expect(await writeRunRejections(fx.warehouse, fx.catalog, reportDir, run)).toBe(
      path.join(reportDir, `run-${run.runId}-rejections.csv`),
    );
    const name = 'run-1-missing-from-full-dump.csv';
    expect(await freeReportPath(reportDir, name)).toBe(path.join(reportDir, name));
    writeFileSync(path.join(reportDir, name), '');
    expect(await freeReportPath(reportDir, name)).toBe(
      path.join(reportDir, 'run-1-missing-from-full-dump-2.csv'),
    );
    // Not a regular file (a directory in the way): left to the writer, which fails naming it.
    mkdirSync(path.join(reportDir, 'run-9-rejections.csv'));
    expect(await freeReportPath(reportDir, 'run-9-rejections.csv')).toBe(
      path.join(reportDir, 'run-9-rejections.csv'),
    );
  });
});
