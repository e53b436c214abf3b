import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import { PENALTY_HEADER, penaltyRows } from './support/penalty-delivery.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const INGEST = ['ingest', '--catalog', 'xzcf', '--provider', '11370000MB2852362M', '--level', 'province'];

/**
 * `ingest --header-row N`: the provider's message names the row the header was read from (row N), not row 1; and
 * N is a row number as people write it, digits only: anything else is the operator's mistake (exit 2).
 */
describe('ingest --header-row', () => {
  let fx: WarehouseFixture;
  let env: NodeJS.ProcessEnv;
  let good: string;
  beforeAll(async () => {
    fx = await openWarehouseFixture('ingest_header_row_cli');
    good = path.join(fx.scratch, 'good.csv');
    writeFileSync(good, toCsv(PENALTY_HEADER, penaltyRows(12, 'header-row')));
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, 'staging'),
      CREDIT_ETL_REPORT_DIR: fx.scratch,
    };
  }, 600_000);
  afterAll(async () => fx?.close());

  it('a data row read as the header (the header is on row 1): the message names the row given, 第2行', async () => {
    const run = await runCli([...INGEST, good, '--header-row', '2', '--json'], env);
    expect(run.code, run.stderr).toBe(1);
    const file = JSON.parse(run.stdout).files[0];
    expect(file).toMatchObject({ name: 'good.csv', status: 'failed', error: { code: 'unknown-columns' } });
    expect(file.error.message).toMatch(
      /^第2行（表头行）像是数据而不是表头：文件第2行应是目录"行政处罚"的列名/,
    );
    expect(file.error.message).not.toContain('第1行');
    const [stored] = await fx.warehouse('source_files').where({ name: 'good.csv' }).select('error');
    expect(stored?.error).toContain('文件第2行应是目录');
  });

  it('refuses a row number not written in digits (1e1, 2.0, 0x2, " 2"): exit 2, nothing read', async () => {
    for (const given of ['1e1', '2.0', '0x2', ' 2']) {
      const run = await runCli([...INGEST, good, `--header-row=${given}`], env);
      expect(run.code, `--header-row ${given}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(`--header-row ${JSON.stringify(given)} is not a row number`);
    }
    const [files] = await fx.warehouse('source_files').where({ name: 'good.csv' }).count({ n: '*' });
    expect(Number(files?.n)).toBe(1);
  }, 120_000);
});
