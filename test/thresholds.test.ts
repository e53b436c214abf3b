import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.ts';
import { fixturePath, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const count = async (fx: WarehouseFixture, table: string) =>
  Number((await fx.warehouse(table).count<{ count: number }[]>({ count: '*' }))[0]?.count);

describe('reject thresholds on `credit-etl ingest`', () => {
  let fx: WarehouseFixture;
  let env: NodeJS.ProcessEnv;
  const input = fixturePath('xzcf', 'utf8-bom', 'input.csv');
  const ingest = (...extra: string[]) =>
    runCli(
      [
        'ingest',
        input,
        '--catalog',
        'xzcf',
        '--provider',
        '11370000MB2852362M',
        '--level',
        'province',
        ...extra,
      ],
      env,
    );

  beforeAll(async () => {
    fx = await openWarehouseFixture('thresholds');
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: fx.scratch,
    };
  });
  afterAll(async () => fx?.close());

  it('a file over --max-reject-rate exits 3, applies none of its rows, and keeps its rejections', async () => {
    // The fixture has 12 rows that fail validation (60%) and one in-file duplicate key, rejected by the merge.
    const result = await ingest('--max-reject-rate', '0.5', '--json');
    expect(result.code).toBe(3);
    const summary = JSON.parse(result.stdout);
    expect(summary.status).toBe('failed-threshold');
    expect(summary.files[0].threshold).toMatchObject({ read: 20, rejected: 12, exceeded: true });
    // Nothing is lost: the 8 valid rows are counted as held back, so the counts still add up to the rows read.
    for (const counts of [summary.counts, summary.files[0].counts])
      expect(counts).toMatchObject({ read: 20, inserted: 0, rejected: 12, held: 8 });
    const shown = await runCli(['runs', 'show', String(summary.runId), '--json'], env);
    expect(JSON.parse(shown.stdout).counts).toMatchObject({ read: 20, rejected: 12, held: 8 });
    expect(await count(fx, 'records')).toBe(0);
    expect(await count(fx, 'record_versions')).toBe(0);
    expect(await count(fx, 'record_sources')).toBe(0);
    expect(await count(fx, 'rejections')).toBe(12);
    const [file] = await fx.warehouse('source_files').select('status', 'error_code', 'threshold');
    expect(file).toMatchObject({ status: 'failed-threshold', error_code: 'reject-threshold-exceeded' });
    const [run] = await fx.warehouse('runs').where({ id: summary.runId }).select('status');
    expect(run.status).toBe('failed-threshold');
  });

  it('--max-rejected counts rows: 11 allowed, 12 invalid, exit 3', async () => {
    const result = await ingest('--max-rejected', '11');
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('reject-threshold-exceeded');
    expect(await count(fx, 'records')).toBe(0);
  });

  it('under the default thresholds the same file loads its valid rows and exits 0', async () => {
    const result = await ingest('--json');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.counts).toMatchObject({ read: 20, inserted: 6, rejected: 13 });
    expect(summary.files[0].threshold).toMatchObject({ maxRejectRate: 0.9, exceeded: false });
  });

  it('rejects a malformed --max-reject-rate as a usage error', async () => {
    const result = await ingest('--max-reject-rate', '20%');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--max-reject-rate');
  });
});
