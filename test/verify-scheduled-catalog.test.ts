import { copyFileSync, cpSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../connectors/project-root.ts';
import { basePenalties, writeRows } from './support/penalty-variants.ts';
import { startCli } from './support/run-cli.ts';
import { lastRunId, verifyRunAfter } from './support/scheduled-verify-runs.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * A catalog entry version published while `schedule` runs (workers restarted to load with it, docs/operating.md):
 * the nightly verify reads the catalog again, and the records loaded under that version are no finding. It used
 * the catalog read when the scheduler started, and reported them as `catalog-version-unknown` every night.
 */
describe('schedule: the nightly verify checks against the catalog as it is now', () => {
  let fx: WarehouseFixture;
  let version: string;

  beforeAll(async () => {
    fx = await openWarehouseFixture('verify_scheduled_catalog');
    await fx.ingest([writeRows(fx.scratch, 'delivery.csv', basePenalties(3, 152))], {
      receivedAt: new Date('2026-11-20T10:00:00+08:00'),
    });
    const entry = await fx.warehouse('record_versions').first('catalog_version');
    version = String(entry.catalog_version);
  });
  afterAll(async () => fx?.close());

  it('a version added to the catalog directory after start-up is known to the next verify', {
    timeout: 180_000,
  }, async () => {
    const catalogDir = path.join(fx.scratch, 'catalog');
    cpSync(path.join(PROJECT_ROOT, 'catalog'), catalogDir, { recursive: true });
    const published = path.join(catalogDir, `xzcf.v${version}.json`);
    rmSync(published);
    const pipelines = path.join(fx.scratch, 'pipelines');
    mkdirSync(pipelines, { recursive: true });
    const cli = startCli(['schedule'], {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'schedule.log'),
      CREDIT_ETL_PIPELINES_DIR: pipelines,
      CREDIT_ETL_CATALOG_DIR: catalogDir,
      CREDIT_ETL_VERIFY_CRON: '* * * * * *',
    });
    try {
      // Without the version, the records loaded under it are findings: the check is real.
      const before = await verifyRunAfter(fx.warehouse, await lastRunId(fx.warehouse), cli);
      expect(before.errors_by_code).toMatchObject({ 'catalog-version-unknown': 3 });
      copyFileSync(path.join(PROJECT_ROOT, 'catalog', `xzcf.v${version}.json`), published);
      const after = await verifyRunAfter(fx.warehouse, await lastRunId(fx.warehouse), cli);
      expect(after).toMatchObject({ status: 'completed', counts: { records: 3, tamperedRecords: 0 } });
      expect(after.errors_by_code ?? {}).not.toHaveProperty('catalog-version-unknown');
    } finally {
      cli.child.kill('SIGTERM');
      const { code } = await cli.result;
      expect(code).toBe(0);
    }
  });
});
