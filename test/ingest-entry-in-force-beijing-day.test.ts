import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { runCli, startCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const CLOCK_AT = path.join(PROJECT_ROOT, 'test/support/clock-at.mjs');
const FIXTURE = path.join(PROJECT_ROOT, 'fixtures/frdj/basic/input.csv');

/** Yesterday (UTC) at 20:00Z: 04:00 of today in Beijing, still yesterday in UTC, and never in the future. */
function beijingEarlyMorning(): { instant: string; beijingDay: string } {
  const today = new Date().toISOString().slice(0, 10);
  const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  return { instant: `${yesterday}T20:00:00Z`, beijingDay: today };
}

describe('ingest looks a catalog entry up on the Beijing day, as each file is loaded', {
  timeout: 120_000,
}, () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('entry_in_force_beijing_day');
  });
  afterAll(async () => fx?.close());

  it('an entry taking effect today (Beijing) loads at 04:00 Beijing, while UTC is still on yesterday', async () => {
    const { instant, beijingDay } = beijingEarlyMorning();
    const catalogDir = path.join(fx.scratch, 'catalog');
    cpSync(path.join(PROJECT_ROOT, 'catalog'), catalogDir, { recursive: true });
    const entryFile = path.join(catalogDir, 'frdj.v1.json');
    const entry = JSON.parse(readFileSync(entryFile, 'utf8')) as { effectiveFrom: string };
    writeFileSync(entryFile, `${JSON.stringify({ ...entry, effectiveFrom: beijingDay }, null, 2)}\n`);
    const env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_CATALOG_DIR: catalogDir,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
    };
    const args = [
      'ingest',
      FIXTURE,
      '--catalog',
      'frdj',
      '--provider',
      '11370000MB2852362M',
      '--level',
      'province',
    ];
    const atFour = await startCli(
      [...args, '--json'],
      { ...env, CLOCK_AT: instant },
      { nodeArgs: ['--import', CLOCK_AT] },
    ).result;
    expect(atFour.stderr).not.toContain('is in force on');
    expect(atFour.code, atFour.stderr).toBe(0);
    const summary = JSON.parse(atFour.stdout) as {
      files: { catalogVersion: number; counts: { read: number } }[];
    };
    expect(summary.files).toHaveLength(1);
    expect(summary.files[0]?.counts.read).toBe(11);

    // The day before it takes effect stays refused, before a file is read (a usage error).
    const before = await runCli([...args, '--received-at', `${instant.slice(0, 10)}T20:00:00+08:00`], env);
    expect(before.code).toBe(2);
    expect(before.stderr).toContain(`is in force on ${instant.slice(0, 10)}`);
  });
});
